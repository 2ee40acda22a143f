using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>A member's recovered durable state: what the Raft host restarts the core from, and the stores to keep writing.</summary>
internal sealed record MemberState(Wal Wal, SnapshotStore Snapshots, SnapshotFile? Snapshot, HardState? HardState, IReadOnlyList<WalEntry> Entries, IReadOnlyList<string> DamagedSnapshots);
