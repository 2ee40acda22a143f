namespace K3sLab.Raft;

/// <summary>
/// One Raft member as a pure state machine: feed it <see cref="Step"/>, <see cref="Tick"/> and <see cref="Propose"/>
/// (and the membership, transfer, read-index and compaction calls), then drain <see cref="TakeReady"/> and call
/// <see cref="Advance"/>. It owns no threads, sockets, files or clocks; election jitter comes from the injected
/// <see cref="Random"/>. Not thread-safe: the host calls it from one thread (or under one lock).
/// </summary>
public sealed partial class RaftNode
{
    /// <summary>No member; used for "no vote" and "no known leader".</summary>
    public const ulong None = 0;

    private readonly RaftConfig _config;
    private readonly Random _random;
    private readonly RaftLog _log;
    private readonly List<Message> _outbox = [];
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private ConfState _confState;
    private HardState _lastHardState;
    private SoftState _lastSoftState;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    /// <summary>Starts (or restarts) member <paramref name="id"/> of a fixed set of voters from its persisted hard state and whole log.</summary>
    public RaftNode(ulong id, IReadOnlyList<ulong> members, RaftConfig config, Random random, HardState hardState, IReadOnlyList<Entry> persistedLog)
        : this(id, new ConfState([.. members], []), config, random, hardState, null, persistedLog)
    {
        if (!members.Contains(id))
        {
            throw new ArgumentException("id must be a non-zero member", nameof(id));
        }
    }

    /// <summary>
    /// Starts (or restarts) member <paramref name="id"/> from what it persisted: its hard state, its latest snapshot (if
    /// any) and the log entries after it. The membership is the snapshot's when there is one, otherwise
    /// <paramref name="confState"/>: the bootstrap membership for a new cluster, or <see cref="ConfState.Empty"/> for a
    /// member joining an existing cluster (it learns its membership from the leader and never campaigns until it is a
    /// voter). Committed entries after the snapshot are handed out again for the host to re-apply (including
    /// configuration changes through <see cref="ApplyConfChange"/>).
    /// </summary>
    public RaftNode(ulong id, ConfState confState, RaftConfig config, Random random, HardState hardState, Snapshot? snapshot, IReadOnlyList<Entry> entries)
    {
        if (id == None)
        {
            throw new ArgumentException("id must be non-zero", nameof(id));
        }
        Id = id;
        _config = config;
        _random = random;
        _confState = snapshot?.ConfState ?? confState;
        // A bootstrapped member holds its initial membership as a snapshot at index 0, so it can hand it to a member
        // that joins with nothing; the log after it carries every later change.
        var baseSnapshot = snapshot ?? (confState.IsEmpty ? null : new Snapshot(0, 0, confState, []));
        _log = new RaftLog(baseSnapshot, entries, hardState.Commit);
        Term = hardState.Term;
        Vote = hardState.Vote;
        _lastHardState = new HardState(Term, Vote, _log.Committed);
        BecomeFollower(Term, None);
        _lastSoftState = SoftState;
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

    /// <summary>Highest index the host has applied (as reported through <see cref="Advance"/>).</summary>
    public ulong Applied => _log.Applied;

    /// <summary>Last log index.</summary>
    public ulong LastIndex => _log.LastIndex;

    /// <summary>The membership as of the last applied configuration change (or snapshot).</summary>
    public ConfState ConfState => _confState;

    private SoftState SoftState => new(Leader, Role);

    private bool IsVoter => _confState.IsVoter(Id);

    private int Quorum => _confState.Voters.Count / 2 + 1;

    /// <summary>The members the leader replicates to, in a stable order.</summary>
    private IEnumerable<ulong> Peers => _progress.Keys.Where(id => id != Id);

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
            // Learners, removed members and members still joining never campaign.
            if (IsVoter)
            {
                Campaign(_config.PreVote);
            }
        }
    }

    /// <summary>
    /// Proposes <paramref name="data"/>; returns the entry's (term, index), or null when this member is not the leader
    /// or is transferring leadership.
    /// </summary>
    public (ulong Term, ulong Index)? Propose(byte[] data)
    {
        if (Role != RaftRole.Leader || _leadTransferee != None)
        {
            return null;
        }
        var entry = new Entry(_log.LastIndex + 1, Term, data);
        _log.Append(entry);
        BroadcastAppend();
        return (entry.Term, entry.Index);
    }

    private void Send(Message m) => _outbox.Add(m);

    private void ResetTimers()
    {
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);
    }
}
