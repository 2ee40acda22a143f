namespace K3sLab.Raft;

/// <summary>The leader's view of one follower's log, with flow control.</summary>
internal sealed class Progress(ulong next)
{
    private readonly Queue<ulong> _inflight = new();

    public ulong Match { get; set; }
    public ulong Next { get; set; } = next;
    public ProgressState State { get; private set; } = ProgressState.Probe;
    public bool ProbeSent { get; set; }
    public bool RecentActive { get; set; }

    /// <summary>Index of the snapshot in flight while in <see cref="ProgressState.Snapshot"/>.</summary>
    public ulong PendingSnapshot { get; private set; }

    public bool IsPaused(int maxInflight) => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => _inflight.Count >= maxInflight,
        _ => true,
    };

    public void BecomeProbe()
    {
        // After a snapshot the follower holds at least the snapshot index, even before it says so.
        Next = State == ProgressState.Snapshot ? Math.Max(Match, PendingSnapshot) + 1 : Match + 1;
        State = ProgressState.Probe;
        ProbeSent = false;
        PendingSnapshot = 0;
        _inflight.Clear();
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        ProbeSent = false;
        PendingSnapshot = 0;
        _inflight.Clear();
        Next = Match + 1;
    }

    public void BecomeSnapshot(ulong index)
    {
        State = ProgressState.Snapshot;
        ProbeSent = false;
        PendingSnapshot = index;
        _inflight.Clear();
    }

    /// <summary>The snapshot did not arrive: probe again from the last known match (which sends a new snapshot if needed).</summary>
    public void SnapshotFailed()
    {
        PendingSnapshot = 0;
        BecomeProbe();
    }

    /// <summary>Records that the follower holds everything up to <paramref name="index"/>; false when that is old news.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        while (_inflight.Count > 0 && _inflight.Peek() <= index)
        {
            _inflight.Dequeue();
        }
        return updated;
    }

    /// <summary>Handles a refused append at <paramref name="rejected"/>; false when the refusal is stale.</summary>
    public bool MaybeDecrease(ulong rejected, ulong hint)
    {
        if (State == ProgressState.Snapshot)
        {
            return false;
        }
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }
            BecomeProbe();
            return true;
        }
        if (Next - 1 != rejected)
        {
            return false;
        }
        Next = Math.Max(Math.Min(rejected, hint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>
    /// A heartbeat answer proves the follower is reachable although appends may have been lost: free one inflight
    /// slot so streaming resumes; a gap then shows up as a rejection and sends the follower back to probe.
    /// </summary>
    public void OnHeartbeatResponse()
    {
        ProbeSent = false;
        if (_inflight.Count > 0)
        {
            _inflight.Dequeue();
        }
    }

    public void Sent(ulong lastIndex)
    {
        if (State == ProgressState.Replicate)
        {
            if (lastIndex >= Next)
            {
                Next = lastIndex + 1;
                _inflight.Enqueue(lastIndex);
            }
        }
        else
        {
            ProbeSent = true;
        }
    }
}
