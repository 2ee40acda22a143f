namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A member's durable state on disk, laid out as k3s lays out its embedded etcd (&lt;data-dir&gt;/server/db/etcd/member):
/// <c>wal/</c> holds the log segments, <c>snap/</c> the snapshot files.
/// </summary>
internal sealed record MemberDirectory(string Path)
{
    /// <summary>The member directory under a k3s server data directory.</summary>
    public static MemberDirectory UnderDataDir(string dataDir) => new(System.IO.Path.Combine(dataDir, "server", "db", "etcd", "member"));

    /// <summary>The WAL segments.</summary>
    public string Wal => System.IO.Path.Combine(Path, "wal");

    /// <summary>The snapshot files.</summary>
    public string Snap => System.IO.Path.Combine(Path, "snap");
}
