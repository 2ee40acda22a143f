namespace K3sLab.K3s.Replication.Storage;

/// <summary>The snapshot loaded (null if there is none) and the damaged files skipped on the way, each with its problem.</summary>
internal sealed record SnapshotLoad(SnapshotFile? Snapshot, IReadOnlyList<string> Damaged);
