namespace K3sLab.Raft;

/// <summary>
/// Everything a host must do after a batch of <see cref="RaftNode.Step"/>, <see cref="RaftNode.Tick"/>,
/// <see cref="RaftNode.Propose"/> (and the other input) calls, as one value.
/// </summary>
/// <remarks>
/// The host handles a Ready in this order, then calls <see cref="RaftNode.Advance"/>:
/// 1. Persist durably (fsync), in this order: <see cref="Snapshot"/> when not null (it replaces the stored log: drop
///    every stored entry), then <see cref="HardState"/> when not null, then <see cref="Entries"/>. Entries overwrite any
///    stored entry at the same or a higher index (a follower may truncate a conflicting suffix).
/// 2. Only then send <see cref="Messages"/>: votes and append acknowledgements promise durable state. Report the
///    outcome of every <see cref="MessageType.Snapshot"/> message with <see cref="RaftNode.ReportSnapshot"/>, and
///    peers that cannot be reached with <see cref="RaftNode.ReportUnreachable"/>.
/// 3. Then, when <see cref="Snapshot"/> is not null, restore the state machine from its data; then apply
///    <see cref="CommittedEntries"/> in order. For a <see cref="EntryType.ConfChange"/> entry, decode it with
///    <see cref="ConfChange.Decode"/> and call <see cref="RaftNode.ApplyConfChange"/> (persist the returned membership
///    with the applied index if the host keeps one).
/// 4. <see cref="ReadStates"/> may be served once the state machine has applied through their index.
///    <see cref="SoftState"/> is informational (leader changes).
/// No new Step, Tick, Propose, ReadIndex, TransferLeadership or Compact may happen between taking a Ready and calling
/// Advance; <see cref="RaftNode.ApplyConfChange"/> may (and should) be called while applying.
/// </remarks>
public sealed record Ready(
    HardState? HardState,
    IReadOnlyList<Entry> Entries,
    IReadOnlyList<Message> Messages,
    IReadOnlyList<Entry> CommittedEntries)
{
    /// <summary>A snapshot received from the leader, to persist and restore before applying <see cref="CommittedEntries"/>.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Answers to <see cref="RaftNode.ReadIndex"/> calls made on this member, in order.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>Leader and role when they changed since the previous Ready; otherwise null.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>True when the Ready asks for nothing.</summary>
    public bool IsEmpty => HardState is null && Entries.Count == 0 && Messages.Count == 0 && CommittedEntries.Count == 0
        && Snapshot is null && ReadStates.Count == 0 && SoftState is null;
}
