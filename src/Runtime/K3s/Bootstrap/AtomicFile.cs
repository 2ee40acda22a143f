using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// Writes secrets and configuration the crash-safe way: into a temporary file created with the final mode (so a
/// key is never readable by others, not even for a moment), flushed to disk, then renamed over the target.
/// A crash leaves either the old file or the new one, never half of either. Each write has its own temporary file,
/// so two processes writing the same path at once (agents sharing a machine's node password) cannot trip on each other.
/// </summary>
internal static partial class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    public static void Write(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        var temporary = WriteTemporary(path, content, mode);
        File.Move(temporary, path, overwrite: true);
        RemoveStaleTemporaries(path);
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="content"/> unless it exists; false when another writer
    /// created it first (its content stays).
    /// </summary>
    public static bool TryCreate(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        // File.Move without overwrite checks for the target and then renames, so two writers can both "win" and the
        // later rename replaces the first one's content. link(2) creates the name only if it is free, atomically.
        var temporary = WriteTemporary(path, content, mode);
        try
        {
            if (Link(temporary, path) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EExist)
            {
                return false;
            }

            throw new IOException($"cannot create {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private const int EExist = 17;

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);

    /// <summary>Deletes temporaries of <paramref name="path"/> that a writer which crashed left over a minute ago.</summary>
    private static void RemoveStaleTemporaries(string path)
    {
        var cutoff = DateTime.UtcNow - StaleAfter;
        foreach (var stale in Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path) + ".*.tmp"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(stale) < cutoff)
                {
                    File.Delete(stale);
                }
            }
            catch (IOException)
            {
                // Another writer removed or renamed it meanwhile.
            }
        }
    }

    private static string WriteTemporary(string path, string content, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        // The umask may have narrowed the create mode; a requested mode such as 0644 must hold exactly.
        File.SetUnixFileMode(temporary, mode);
        return temporary;
    }
}
