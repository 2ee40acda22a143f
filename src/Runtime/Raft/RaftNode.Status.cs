namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>A copy of this member's state; progress is filled on the leader only.</summary>
    public RaftStatus GetStatus() => new(
        Id,
        Term,
        Vote,
        Leader,
        Role,
        _log.Committed,
        _log.Applied,
        _log.FirstIndex,
        _log.LastIndex,
        _confState,
        _leadTransferee,
        Role == RaftRole.Leader
            ? _progress.ToDictionary(p => p.Key, p => new PeerProgress(p.Value.Match, p.Value.Next, p.Value.State))
            : new Dictionary<ulong, PeerProgress>());
}
