namespace K3sLab.Raft;

/// <summary>
/// Everything a host must do after a batch of <see cref="RaftNode.Step"/>, <see cref="RaftNode.Tick"/> and
/// <see cref="RaftNode.Propose"/> calls, as one value.
/// </summary>
/// <remarks>
/// The host handles a Ready in this order, then calls <see cref="RaftNode.Advance"/>:
/// 1. Persist <see cref="HardState"/> (when not null) and <see cref="Entries"/> durably (fsync). Entries overwrite any
///    stored entry at the same or a higher index (a follower may truncate a conflicting suffix).
/// 2. Only then send <see cref="Messages"/>: votes and append acknowledgements promise durable state.
/// 3. Then apply <see cref="CommittedEntries"/> to the state machine, in order.
/// No new Step, Tick or Propose may happen between taking a Ready and calling Advance.
/// </remarks>
public sealed record Ready(
    HardState? HardState,
    IReadOnlyList<Entry> Entries,
    IReadOnlyList<Message> Messages,
    IReadOnlyList<Entry> CommittedEntries)
{
    /// <summary>True when the Ready asks for nothing.</summary>
    public bool IsEmpty => HardState is null && Entries.Count == 0 && Messages.Count == 0 && CommittedEntries.Count == 0;
}
