using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>The SQLite store as etcd sees a one-member cluster: always its own leader, term 1, membership fixed.</summary>
internal sealed class SingleMemberCluster(EtcdMember member, IRevisionedStore store) : IClusterView
{
    public ulong MemberId => member.MemberId;

    public ulong ClusterId => member.ClusterId;

    public ulong RaftTerm => member.RaftTerm;

    public ulong Leader => member.MemberId;

    /// <summary>etcd's default (1 s); a member that is always its own leader never loses it.</summary>
    public TimeSpan ElectionTimeout => TimeSpan.FromSeconds(1);

    public (ulong Index, ulong Applied) RaftIndexes => ((ulong)store.CurrentRevision, (ulong)store.CurrentRevision);

    public bool IsLearner => false;

    public IReadOnlyList<ClusterMember> Members() => [new(member.MemberId, member.Name, member.PeerUrls, member.ClientUrls, IsLearner: false)];

    public Task<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken) =>
        throw EtcdErrors.NotSupported("adding members to a SQLite datastore; start servers with --cluster-init for an HA datastore");

    public Task<IReadOnlyList<ClusterMember>> PromoteMemberAsync(ulong id, CancellationToken cancellationToken) => throw EtcdErrors.NotSupported("promoting members of a SQLite datastore");

    public Task<IReadOnlyList<ClusterMember>> RemoveMemberAsync(ulong id, CancellationToken cancellationToken) => throw EtcdErrors.NotSupported("removing members of a SQLite datastore");

    public Task<IReadOnlyList<ClusterMember>> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken) => throw EtcdErrors.NotSupported("updating members of a SQLite datastore");

    public Task MoveLeaderAsync(ulong target, CancellationToken cancellationToken) => throw EtcdErrors.NotSupported("moving the leader of a SQLite datastore");
}
