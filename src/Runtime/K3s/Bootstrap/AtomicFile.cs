namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// Writes secrets and configuration the crash-safe way: into a temporary file created with the final mode (so a
/// key is never readable by others, not even for a moment), flushed to disk, then renamed over the target.
/// A crash leaves either the old file or the new one, never half of either.
/// </summary>
internal static class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        // The umask may have narrowed the create mode; a requested mode such as 0644 must hold exactly.
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
    }
}
