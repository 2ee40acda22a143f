namespace K3sLab.K3s.Replication.Storage;

/// <summary>Damaged snapshot files left no snapshot the WAL can continue from; the member refuses to start.</summary>
internal sealed class SnapshotCorruptException(IReadOnlyList<string> damaged)
    : Exception($"no usable Raft snapshot: {string.Join("; ", damaged)}. The damaged files were renamed to *{SnapshotStore.BrokenSuffix}. " +
        "Restore the member's data directory from a backup, or remove this member from the cluster, delete its data directory and join it again")
{
    /// <summary>Each damaged file with its problem.</summary>
    public IReadOnlyList<string> Damaged { get; } = damaged;
}
