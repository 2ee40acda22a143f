namespace K3sLab.Raft;

/// <summary>
/// A point-in-time copy of a member's state for hosts (health endpoints, metrics, tests). Named RaftStatus rather than
/// Status so it does not collide with gRPC's Status in hosts.
/// </summary>
public sealed record RaftStatus(
    ulong Id,
    ulong Term,
    ulong Vote,
    ulong Leader,
    RaftRole Role,
    ulong Committed,
    ulong Applied,
    ulong FirstIndex,
    ulong LastIndex,
    ConfState ConfState,
    ulong LeadTransferee,
    IReadOnlyDictionary<ulong, PeerProgress> Progress);

/// <summary>The leader's view of one member's log (empty on non-leaders).</summary>
public readonly record struct PeerProgress(ulong Match, ulong Next, ProgressState State);
