namespace K3sLab.Raft;

/// <summary>How the leader currently sends to one follower.</summary>
public enum ProgressState
{
    /// <summary>Match unknown: one append per heartbeat interval until the follower accepts.</summary>
    Probe,
    /// <summary>Follower is in step: stream appends optimistically, bounded by the inflight window.</summary>
    Replicate,
    /// <summary>The follower needs compacted entries: a snapshot is on its way; appends wait for its answer or <see cref="RaftNode.ReportSnapshot"/>.</summary>
    Snapshot,
}
