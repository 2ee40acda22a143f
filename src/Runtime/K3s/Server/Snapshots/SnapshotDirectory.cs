namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// The local snapshot folder (<c>--etcd-snapshot-dir</c>, default <c>${data-dir}/server/db/snapshots</c>): list,
/// name and delete snapshot files. Temporary files of a write in progress (dot-prefixed) are not snapshots.
/// </summary>
internal sealed class SnapshotDirectory(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Every snapshot file, oldest first (then by name), as k3s sorts its list.</summary>
    public IReadOnlyList<SnapshotEntry> List()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        return [.. new DirectoryInfo(Path).EnumerateFiles()
            .Where(f => !f.Name.StartsWith('.'))
            .Select(f => new SnapshotEntry(f.Name, f.FullName, f.Length, SnapshotName.TakenAt(f.Name) ?? new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
            .OrderBy(s => s.Created)
            .ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Deletes the named snapshot; false when there is no such file. A name may not leave the folder.</summary>
    public bool Delete(string name)
    {
        if (name.Length == 0 || name != System.IO.Path.GetFileName(name) || name.StartsWith('.'))
        {
            return false;
        }

        var file = PathOf(name);
        if (!File.Exists(file))
        {
            return false;
        }

        File.Delete(file);
        return true;
    }

    /// <summary>Deletes what <see cref="SnapshotRetention"/> expires in one series; returns the names deleted.</summary>
    public IReadOnlyList<string> Prune(string series, int retention)
    {
        var deleted = new List<string>();
        foreach (var expired in SnapshotRetention.Expired(List(), series, retention))
        {
            if (Delete(expired.Name))
            {
                deleted.Add(expired.Name);
            }
        }

        return deleted;
    }
}
