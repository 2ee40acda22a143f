using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>Where the peer server hands what other members send; implemented by the Raft host.</summary>
internal interface IPeerInbox
{
    /// <summary>The cluster this member belongs to; streams from another cluster are refused.</summary>
    ulong ClusterId { get; }

    /// <summary>True when <paramref name="memberId"/> is a member this one knows (voter or learner).</summary>
    bool Knows(ulong memberId);

    /// <summary>Queues Raft messages for the host loop; never blocks on the loop.</summary>
    void Deliver(IReadOnlyList<Message> messages);

    /// <summary>
    /// A stream <paramref name="memberId"/> was sending on broke off: its connection was closed or reset from its
    /// side. The transport then asks whether that member died (<see cref="PeerSender"/>'s probe).
    /// </summary>
    void StreamBroken(ulong memberId);

    /// <summary>Proposes an encoded store request on behalf of another member; null when this member is not the leader.</summary>
    Task<(ulong Term, ulong Index)?> ProposeForwardedAsync(byte[] entry, CancellationToken cancellationToken);

    /// <summary>Proposes a membership change on behalf of another member; null when this member is not the leader.</summary>
    Task<ProposalResult?> ProposeConfChangeAsLeaderAsync(ConfChange change, CancellationToken cancellationToken);

    /// <summary>The leader this member follows (0: none known).</summary>
    ulong Leader { get; }

    /// <summary>Renews a lease on the leader; null when this member is not the leader.</summary>
    Task<long?> KeepAliveAsLeaderAsync(long id, CancellationToken cancellationToken);

    /// <summary>A lease's TTL as the leader knows it; not-leader and not-found are told apart.</summary>
    Task<LeaseAnswer> TimeToLiveAsLeaderAsync(long id, bool withKeys, CancellationToken cancellationToken);
}

/// <summary>The leader's answer about one lease.</summary>
internal sealed record LeaseAnswer(bool NotLeader, bool Found, long Ttl, long GrantedTtl, IReadOnlyList<byte[]> Keys);
