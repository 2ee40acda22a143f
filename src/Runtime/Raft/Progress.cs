namespace K3sLab.Raft;

/// <summary>How the leader currently sends to one follower.</summary>
internal enum ProgressState
{
    /// <summary>Match unknown: one append per heartbeat interval until the follower accepts.</summary>
    Probe,
    /// <summary>Follower is in step: stream appends optimistically, bounded by the inflight window.</summary>
    Replicate,
}

/// <summary>The leader's view of one follower's log, with flow control.</summary>
internal sealed class Progress(ulong next)
{
    private readonly Queue<ulong> _inflight = new();

    public ulong Match { get; set; }
    public ulong Next { get; set; } = next;
    public ProgressState State { get; private set; } = ProgressState.Probe;
    public bool ProbeSent { get; set; }
    public bool RecentActive { get; set; }

    public bool IsPaused(int maxInflight) => State == ProgressState.Probe ? ProbeSent : _inflight.Count >= maxInflight;

    public void BecomeProbe()
    {
        State = ProgressState.Probe;
        ProbeSent = false;
        _inflight.Clear();
        Next = Match + 1;
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        ProbeSent = false;
        _inflight.Clear();
        Next = Match + 1;
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
