namespace K3sLab.Raft;

/// <summary>
/// One Raft member as a pure state machine: feed it <see cref="Step"/>, <see cref="Tick"/> and <see cref="Propose"/>,
/// then drain <see cref="TakeReady"/> and call <see cref="Advance"/>. It owns no threads, sockets, files or clocks;
/// election jitter comes from the injected <see cref="Random"/>.
/// </summary>
public sealed partial class RaftNode
{
    /// <summary>No member; used for "no vote" and "no known leader".</summary>
    public const ulong None = 0;

    private readonly RaftConfig _config;
    private readonly Random _random;
    private readonly ulong[] _peers;
    private readonly RaftLog _log;
    private readonly List<Message> _outbox = [];
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private HardState _lastHardState;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    /// <summary>Starts (or restarts) member <paramref name="id"/> from its persisted hard state and log.</summary>
    public RaftNode(ulong id, IReadOnlyList<ulong> members, RaftConfig config, Random random, HardState hardState, IReadOnlyList<Entry> persistedLog)
    {
        if (id == None || !members.Contains(id))
        {
            throw new ArgumentException("id must be a non-zero member", nameof(id));
        }
        Id = id;
        _config = config;
        _random = random;
        _peers = [.. members.Where(m => m != id).Order()];
        _log = new RaftLog(persistedLog, hardState.Commit);
        Term = hardState.Term;
        Vote = hardState.Vote;
        _lastHardState = new HardState(Term, Vote, _log.Committed);
        BecomeFollower(Term, None);
    }

    /// <summary>This member's id.</summary>
    public ulong Id { get; }

    /// <summary>Current term.</summary>
    public ulong Term { get; private set; }

    /// <summary>Whom this member voted for in <see cref="Term"/>.</summary>
    public ulong Vote { get; private set; }

    /// <summary>The leader this member follows, or <see cref="None"/>.</summary>
    public ulong Leader { get; private set; }

    /// <summary>Current role.</summary>
    public RaftRole Role { get; private set; }

    /// <summary>Highest committed index.</summary>
    public ulong Committed => _log.Committed;

    /// <summary>Last log index.</summary>
    public ulong LastIndex => _log.LastIndex;

    private int Quorum => (_peers.Length + 1) / 2 + 1;

    /// <summary>Advances logical time by one tick.</summary>
    public void Tick()
    {
        if (Role == RaftRole.Leader)
        {
            TickLeader();
            return;
        }
        _electionElapsed++;
        if (_electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(_config.PreVote);
        }
    }

    /// <summary>Proposes <paramref name="data"/>; returns the entry's (term, index), or null when this member is not the leader.</summary>
    public (ulong Term, ulong Index)? Propose(byte[] data)
    {
        if (Role != RaftRole.Leader)
        {
            return null;
        }
        var entry = new Entry(_log.LastIndex + 1, Term, data);
        _log.Append(entry);
        BroadcastAppend();
        return (entry.Term, entry.Index);
    }

    /// <summary>True when <see cref="TakeReady"/> would return a non-empty value.</summary>
    public bool HasReady => _outbox.Count > 0 || _log.Stabled < _log.LastIndex || _log.Applied < _log.Committed || CurrentHardState != _lastHardState;

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    /// <summary>Collects the work the host must do; see <see cref="Ready"/> for the ordering contract.</summary>
    public Ready TakeReady()
    {
        var hs = CurrentHardState;
        var ready = new Ready(
            hs == _lastHardState ? null : hs,
            _log.Slice(_log.Stabled + 1, _log.LastIndex, int.MaxValue),
            [.. _outbox],
            _log.Slice(_log.Applied + 1, _log.Committed, int.MaxValue));
        _outbox.Clear();
        return ready;
    }

    /// <summary>Tells the member that <paramref name="ready"/> has been persisted, sent and applied.</summary>
    public void Advance(Ready ready)
    {
        if (ready.HardState is { } hs)
        {
            _lastHardState = hs;
        }
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            // A later truncation may have replaced what this Ready carried; only count entries still in the log.
            if (_log.MatchTerm(last.Index, last.Term))
            {
                _log.Stabled = Math.Max(_log.Stabled, last.Index);
            }
        }
        if (ready.CommittedEntries.Count > 0)
        {
            _log.Applied = ready.CommittedEntries[^1].Index;
        }
        if (Role == RaftRole.Leader && _progress[Id].MaybeUpdate(_log.Stabled) && MaybeCommit())
        {
            BroadcastAppend();
        }
    }

    private void Send(Message m) => _outbox.Add(m);

    private void ResetTimers()
    {
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);
    }
}
