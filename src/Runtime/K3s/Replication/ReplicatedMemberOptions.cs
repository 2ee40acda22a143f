using System.Net;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.Transport;

namespace K3sLab.K3s.Replication;

/// <summary>
/// How to run one member of the replicated store: where its data lives, where it listens, and whether it starts a
/// new cluster (<see cref="ClusterInit"/>), joins one through a member's client URL (<see cref="JoinUrl"/>), or (when
/// its WAL exists) restarts, in which case both are ignored, as k3s ignores <c>--cluster-init</c> and
/// <c>--server</c> once the etcd data exists.
/// </summary>
internal sealed record ReplicatedMemberOptions(string MemberDirectory, string Name, EtcdServerOptions ClientApi, IPEndPoint PeerListen)
{
    public IReadOnlyList<string> AdvertiseClientUrls { get; init; } = [];

    public IReadOnlyList<string> AdvertisePeerUrls { get; init; } = [];

    public bool ClusterInit { get; init; }

    /// <summary>A client URL of a member of the cluster to join.</summary>
    public string? JoinUrl { get; init; }

    /// <summary>Mutual TLS between members; null for plain HTTP/2 on loopback (tests).</summary>
    public PeerTlsOptions? PeerTls { get; init; }

    /// <summary>The certificate and CA for calling the join member's client API; null for plain HTTP/2.</summary>
    public PeerTlsOptions? JoinTls { get; init; }

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Longest a client request waits to commit before it fails with etcd's "request timed out".</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>Applied entries between snapshots.</summary>
    public ulong SnapshotCount { get; init; } = 10_000;

    /// <summary>Entries kept in the log behind a snapshot so a slightly slow follower catches up without one (etcd: 5,000).</summary>
    public int SnapshotCatchUpEntries { get; init; } = 5000;

    /// <summary>How long a join keeps retrying while the cluster is busy (another learner, no leader).</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
