namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private readonly List<ReadState> _readStates = [];
    private readonly List<PendingRead> _pendingReads = [];
    private readonly List<(ulong From, byte[] Context)> _readsAwaitingCommit = [];

    /// <summary>
    /// Asks for a linearizable read point. The answer appears in <see cref="Ready.ReadStates"/> with the same
    /// <paramref name="context"/> once the leader has confirmed with a quorum of voters that it still leads; serve the
    /// read after applying through its index. A follower forwards the request to its leader. With no known leader, or
    /// when leadership is lost meanwhile, the request is dropped: the host times out and retries.
    /// </summary>
    /// <param name="context">A non-empty id, unique among reads in flight, that matches the answer to the request.</param>
    public void ReadIndex(byte[] context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Length == 0)
        {
            throw new ArgumentException("a read needs a non-empty context to match its answer", nameof(context));
        }
        if (Role == RaftRole.Leader)
        {
            HandleReadRequest(Id, context);
        }
        else if (Leader != None)
        {
            Send(new Message(MessageType.ReadIndex, Id, Leader, Term) { Context = context });
        }
    }

    private void HandleReadRequest(ulong from, byte[] context)
    {
        // Until it commits an entry of its own term the leader does not know the latest commit index.
        if (_log.Term(_log.Committed) != Term)
        {
            _readsAwaitingCommit.Add((from, context));
            return;
        }
        if (_confState.Voters is [var only] && only == Id)
        {
            AnswerRead(from, _log.Committed, context);
            return;
        }
        var read = new PendingRead(from, _log.Committed, context);
        if (IsVoter)
        {
            read.Acks.Add(Id);
        }
        _pendingReads.Add(read);
        BroadcastHeartbeat(context);
    }

    private void OnReadAck(Message m)
    {
        var i = _pendingReads.FindIndex(r => r.Context.AsSpan().SequenceEqual(m.Context));
        if (i < 0 || !_confState.IsVoter(m.From))
        {
            return;
        }
        _pendingReads[i].Acks.Add(m.From);
        if (_pendingReads[i].Acks.Count(_confState.IsVoter) < Quorum)
        {
            return;
        }
        // A quorum acknowledging this round confirms leadership for every earlier read as well.
        foreach (var read in _pendingReads.Take(i + 1))
        {
            AnswerRead(read.From, read.Index, read.Context);
        }
        _pendingReads.RemoveRange(0, i + 1);
    }

    private void ReleaseReadsAwaitingCommit()
    {
        if (_readsAwaitingCommit.Count == 0 || _log.Term(_log.Committed) != Term)
        {
            return;
        }
        var waiting = _readsAwaitingCommit.ToArray();
        _readsAwaitingCommit.Clear();
        foreach (var (from, context) in waiting)
        {
            HandleReadRequest(from, context);
        }
    }

    private void AnswerRead(ulong from, ulong index, byte[] context)
    {
        if (from == Id)
        {
            _readStates.Add(new ReadState(index, context));
        }
        else
        {
            Send(new Message(MessageType.ReadIndexResponse, Id, from, Term) { Index = index, Context = context });
        }
    }

    private void DropPendingReads()
    {
        _pendingReads.Clear();
        _readsAwaitingCommit.Clear();
    }

    /// <summary>A read waiting for a quorum of heartbeat acknowledgements.</summary>
    private sealed class PendingRead(ulong from, ulong index, byte[] context)
    {
        public ulong From { get; } = from;
        public ulong Index { get; } = index;
        public byte[] Context { get; } = context;
        public HashSet<ulong> Acks { get; } = [];
    }
}
