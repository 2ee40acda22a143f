namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// What the Raft host applies committed entries to. Every call comes from the host's loop, one at a time, in log
/// order; the state machine must be a deterministic function of the entries it was given.
/// </summary>
internal interface IReplicatedStateMachine
{
    /// <summary>Applies a committed store request at Raft index <paramref name="index"/>.</summary>
    void Apply(ulong index, EntryPayload payload);

    /// <summary>
    /// Freezes the whole state for a snapshot, on the loop, and returns what writes it: the writer may run later on
    /// any thread, concurrently with further applies, and must write the state as it was at this call, exactly
    /// <see cref="StateSnapshot.Length"/> bytes.
    /// </summary>
    StateSnapshot CaptureSnapshot();

    /// <summary>Replaces the state with a snapshot's; an empty stream means the empty state.</summary>
    void Restore(Stream source);

    /// <summary>Leadership changed: <paramref name="isSelf"/> when this member now leads.</summary>
    void LeaderChanged(ulong leader, bool isSelf);
}
