namespace K3sLab.K3s.Server.Snapshots;

/// <summary>One snapshot file as <c>k3s etcd-snapshot ls</c> shows it.</summary>
/// <param name="Name">The file name.</param>
/// <param name="Path">The absolute path.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Created">The time in its name, or the file's modification time when the name carries none.</param>
internal sealed record SnapshotEntry(string Name, string Path, long Size, DateTimeOffset Created)
{
    /// <summary>k3s's location column: a <c>file://</c> URL.</summary>
    public string Location => new Uri(Path).AbsoluteUri;
}
