namespace K3sLab.K3s.Etcd;

/// <summary>
/// What the etcd Cluster and Maintenance services report and change about membership and consensus: a single
/// member for the SQLite store (<see cref="SingleMemberCluster"/>), the Raft group for the replicated store.
/// </summary>
internal interface IClusterView
{
    ulong MemberId { get; }

    ulong ClusterId { get; }

    /// <summary>The current Raft term (1 for a store without Raft).</summary>
    ulong RaftTerm { get; }

    /// <summary>The leader's member id, 0 when there is none.</summary>
    ulong Leader { get; }

    /// <summary>How long a member waits without hearing a leader before it campaigns; the pace of <see cref="LeaderLoss"/>.</summary>
    TimeSpan ElectionTimeout { get; }

    /// <summary>The last Raft index this member holds and the last it applied.</summary>
    (ulong Index, ulong Applied) RaftIndexes { get; }

    bool IsLearner { get; }

    IReadOnlyList<ClusterMember> Members();

    /// <summary>Adds a member (etcd MemberAdd); the new member's id and the list after the change.</summary>
    Task<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClusterMember>> PromoteMemberAsync(ulong id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClusterMember>> RemoveMemberAsync(ulong id, CancellationToken cancellationToken);

    Task<IReadOnlyList<ClusterMember>> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken);

    /// <summary>Hands leadership to <paramref name="target"/> (etcd MoveLeader), returning once it leads.</summary>
    Task MoveLeaderAsync(ulong target, CancellationToken cancellationToken);
}

/// <summary>One member as etcd's <c>Member</c> message shows it; a member that has not started yet has no name.</summary>
internal sealed record ClusterMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner);
