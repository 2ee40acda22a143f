using System.Globalization;
using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Writes a config map, secret, downward API or projected volume the way the kubelet's atomic writer lays it out, so a
/// pod sees every key of one version or every key of the next, never a mix:
/// <list type="bullet">
/// <item>the files of a version go into a fresh hidden folder, <c>..2026_12_07_04_30_00.123456789</c>;</item>
/// <item><c>..data</c> is a symlink to that folder, replaced in one <c>rename</c> by a new link made beside it;</item>
/// <item>each top-level name a container sees is a symlink into it, <c>mode -&gt; ..data/mode</c>;</item>
/// <item>the previous version's folder is then deleted, with the links of names no longer there.</item>
/// </list>
/// A payload equal to the current version (paths, bytes, modes) changes nothing, so the periodic rewrite neither
/// moves <c>..data</c> nor wakes a watcher of it. Leftovers of an interrupted write (a version folder never linked, a
/// <c>..data_tmp</c> link, files of the plain layout an earlier agent wrote) are removed by the next write.
/// </summary>
internal static partial class AtomicVolumeWriter
{
    /// <summary>The link to the current version's folder.</summary>
    public const string DataLink = "..data";

    private const string NewDataLink = "..data_tmp";
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Makes <paramref name="directory"/> hold exactly <paramref name="files"/>; returns the directory.</summary>
    /// <exception cref="FormatException">A path is absolute, climbs out, or starts with <c>..</c>.</exception>
    public static string Write(string directory, IEnumerable<VolumeFile> files)
    {
        var payload = new Dictionary<string, VolumeFile>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            payload[Normalize(file.Path)] = file;
        }

        Directory.CreateDirectory(directory);
        var current = new FileInfo(Path.Combine(directory, DataLink)).LinkTarget;
        if (current is null || !Holds(Path.Combine(directory, current), payload))
        {
            current = WriteVersion(directory, payload);
            var link = Path.Combine(directory, NewDataLink);
            DeleteEntry(link);
            File.CreateSymbolicLink(link, current);
            RenameOver(link, Path.Combine(directory, DataLink));
        }

        var names = payload.Keys.Select(p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = Path.Combine(directory, name);
            var target = $"{DataLink}/{name}";
            if (new FileInfo(path).LinkTarget != target)
            {
                DeleteEntry(path);
                File.CreateSymbolicLink(path, target);
            }
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).ToList())
        {
            var name = Path.GetFileName(entry);
            var keep = name.StartsWith("..", StringComparison.Ordinal) ? name == DataLink || name == current : names.Contains(name);
            if (!keep)
            {
                DeleteEntry(entry);
            }
        }

        return directory;
    }

    /// <summary>A payload path as the version folder holds it; refuses what the kubelet's validation refuses.</summary>
    private static string Normalize(string path)
    {
        VolumeFiles.CheckPath(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 0 || segments[0].StartsWith("..", StringComparison.Ordinal)
            ? throw new FormatException($"path \"{path}\" must not start with '..'")
            : string.Join('/', segments);
    }

    /// <summary>Whether the version folder holds exactly the payload: the same paths, bytes and modes.</summary>
    private static bool Holds(string version, Dictionary<string, VolumeFile> payload)
    {
        if (!Directory.Exists(version))
        {
            return false;
        }

        var present = Directory.EnumerateFiles(version, "*", SearchOption.AllDirectories).ToList();
        return present.Count == payload.Count && present.All(path =>
            payload.TryGetValue(Path.GetRelativePath(version, path).Replace(Path.DirectorySeparatorChar, '/'), out var file)
            && File.GetUnixFileMode(path) == file.Mode
            && File.ReadAllBytes(path).AsSpan().SequenceEqual(file.Content));
    }

    /// <summary>Writes the payload into a new version folder and returns the folder's name.</summary>
    private static string WriteVersion(string directory, Dictionary<string, VolumeFile> payload)
    {
        var stamp = DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss.", CultureInfo.InvariantCulture);
        string name;
        do
        {
            name = $"..{stamp}{Random.Shared.Next(0, 1_000_000_000):D9}";
        }
        while (Path.Exists(Path.Combine(directory, name)));

        var version = Path.Combine(directory, name);
        Directory.CreateDirectory(version, FolderMode);
        foreach (var (path, file) in payload)
        {
            var target = Path.Combine(version, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!, FolderMode);
            File.WriteAllBytes(target, file.Content);
            File.SetUnixFileMode(target, file.Mode);
        }

        return name;
    }

    /// <summary>
    /// <c>rename(2)</c>: replaces <paramref name="destination"/> by <paramref name="source"/> in one step, a symlink as
    /// itself (<see cref="File.Move(string, string, bool)"/> refuses a link to a folder as not a file).
    /// </summary>
    private static void RenameOver(string source, string destination)
    {
        if (Rename(source, destination) != 0)
        {
            throw new IOException($"rename {source} to {destination}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string source, string destination);

    /// <summary>Removes a file, a symlink (not what it points to) or a folder with its contents; absent is fine.</summary>
    private static void DeleteEntry(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || File.Exists(path))
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
