using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Replication.Transport;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// How one member runs. Timing defaults: a 100 ms tick, heartbeats every tick and an election timeout of
/// 8 ticks (randomized to 0.8–1.6 s). etcd's defaults are 100 ms / 1 s and k3s raises them to 500 ms / 5 s for
/// slow disks; 0.8 s of silence is eight missed heartbeats, which a loaded 2-core host does not produce without a
/// real fault, and it keeps a leader failover (timeout plus one pre-vote and vote round on loopback) under 2 s.
/// </summary>
internal sealed record RaftHostOptions(ulong MemberId, MemberDirectory Directory)
{
    /// <summary>This member's name as <c>etcdctl member list</c> shows it (k3s: node name plus a random suffix).</summary>
    public string Name { get; init; } = "default";

    /// <summary>Where other members reach this one (the first is used).</summary>
    public IReadOnlyList<string> PeerUrls { get; init; } = [];

    /// <summary>Where clients reach this member's etcd API.</summary>
    public IReadOnlyList<string> ClientUrls { get; init; } = [];

    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public RaftConfig Raft { get; init; } = new() { ElectionTicks = 8, HeartbeatTicks = 1, MaxInflight = 256, MaxEntriesPerMessage = 1024, CompactionKeepEntries = 5000 };

    /// <summary>Applied entries between snapshots (k3s: 10,000); see <see cref="SnapshotLogFraction"/> for the second condition.</summary>
    public ulong SnapshotCount { get; init; } = 10_000;

    /// <summary>
    /// A snapshot also waits until the entries applied since the last one hold at least this fraction of that
    /// snapshot's bytes. etcd's snapshot is small (its state lives in a durable database); ours is the whole state,
    /// so taking one every <see cref="SnapshotCount"/> entries would rewrite a large state far more often than the
    /// log that replaces it grows. The bound keeps snapshot writes within (1 / fraction) × the log's bytes, and
    /// replay at restart within that fraction of the state. 0 snapshots on the entry count alone.
    /// </summary>
    public double SnapshotLogFraction { get; init; } = 0.5;

    public WalOptions Wal { get; init; } = new();

    /// <summary>Mutual TLS for the peer port; null for plain HTTP/2 peer URLs (tests on loopback only).</summary>
    public PeerTlsOptions? PeerTls { get; init; }

    /// <summary>Longest a request waits for its entry to apply (etcd: 5 s plus two election timeouts).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>
    /// How often the leader tries to promote learners that have caught up: 250 ms, so a joining server votes within a
    /// moment of catching up (the check only reads the leader's progress table).
    /// </summary>
    public TimeSpan PromoteInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Seed for election jitter; null: random.</summary>
    public int? Seed { get; init; }

    /// <summary>The election timeout's lower bound as wall time.</summary>
    public TimeSpan ElectionTimeout => TickInterval * Raft.ElectionTicks;
}
