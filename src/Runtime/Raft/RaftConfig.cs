namespace K3sLab.Raft;

/// <summary>Tuning for one member. Time is measured in <see cref="RaftNode.Tick"/> calls.</summary>
public sealed record RaftConfig
{
    /// <summary>Ticks without hearing from a leader before campaigning; the actual timeout is random in [T, 2T).</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats; must be less than <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Campaign first without raising the term, so a rejoining partitioned member does not depose a healthy leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down when it has not heard from a quorum within an election timeout, and members ignore votes while a leader is alive.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Most append messages in flight to one follower in replicate state (flow control).</summary>
    public int MaxInflight { get; init; } = 16;

    /// <summary>Most entries in one append message.</summary>
    public int MaxEntriesPerMessage { get; init; } = 64;

    /// <summary>
    /// Entries kept before a compaction's snapshot index, so a follower that lags slightly still catches up with
    /// appends instead of a whole snapshot.
    /// </summary>
    public int CompactionKeepEntries { get; init; }

    /// <summary>A learner may be promoted only when its log is at most this many entries behind the leader's.</summary>
    public int MaxPromotionLag { get; init; } = 10;

    /// <summary>
    /// Test-only, off by default: plants the bug "a learner's vote counts" (candidates ask learners and count their
    /// grants toward the quorum) so the simulator can prove its checks catch it. Internal: hosts cannot set it.
    /// </summary>
    internal bool CountLearnerVotes { get; init; }

    /// <summary>
    /// Test-only, off by default: plants the bug "acknowledge before commit". A leader counts an entry committed as
    /// soon as it holds it itself, without waiting for a quorum, so it applies (and its host acknowledges) writes that
    /// a new leader may later overwrite. The k3s runtime sets it only when a test names the bug
    /// (<c>K3SLAB_TEST_PLANTED_BUG=ack-before-commit</c>), so the chaos suite can prove its checks catch it.
    /// </summary>
    internal bool CommitWithoutQuorum { get; init; }
}
