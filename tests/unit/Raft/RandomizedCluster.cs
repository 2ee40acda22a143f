using System.Text;

namespace K3sLab.Raft.Tests;

/// <summary>
/// A cluster driven by a seeded random schedule of ticks, proposals, partitions, message loss, compaction, restarts,
/// membership changes, transfers and reads, with safety and liveness checks (see <see cref="RandomizedClusterTests"/>).
/// </summary>
internal sealed class RandomizedCluster
{
    private readonly Random _random;
    private readonly RaftConfig _config;
    private readonly SortedDictionary<ulong, ScriptedMember> _members = [];
    private readonly HashSet<ulong> _isolated = [];
    private readonly Dictionary<ulong, ulong> _leaderByTerm = [];
    private readonly StringBuilder _log = new();
    private readonly Dictionary<int, ulong> _readFloor = [];
    private ulong _nextId = 4;
    private int _proposals;
    private int _reads;

    public RandomizedCluster(int seed)
    {
        _random = new Random(seed);
        // With neither PreVote nor CheckQuorum, a removed member that never learned of its removal deposes leaders
        // forever (the dissertation's disruptive server); hosts stop removed members, and the defaults enable both.
        var preVote = _random.Next(3) > 0;
        _config = new RaftConfig { CompactionKeepEntries = _random.Next(3), MaxInflight = 4, PreVote = preVote, CheckQuorum = !preVote || _random.Next(3) > 0 };
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            _members[id] = new ScriptedMember(id, new ConfState([1, 2, 3], []), _config, _log) { TraceConfChanges = true };
        }
    }

    private RaftNode? Leader => _members.Values.Select(m => m.Node).FirstOrDefault(n => n.Role == RaftRole.Leader && !_isolated.Contains(n.Id));

    private ScriptedMember Any() => _members.Values.ElementAt(_random.Next(_members.Count));

    public void RandomStep()
    {
        var op = _random.Next(100);
        var leader = Leader;
        _log.AppendLine($"op {op} leader {leader?.Id} t{leader?.Term} isolated [{string.Join(",", _isolated)}]");
        switch (op)
        {
            case < 45:
                foreach (var m in _members.Values)
                {
                    m.Node.Tick();
                }
                break;
            case < 65 when leader is not null:
                leader.Propose(Encoding.UTF8.GetBytes($"v{++_proposals}"));
                break;
            case < 70:
                if (_isolated.Count > 0 && _random.Next(2) == 0)
                {
                    _isolated.Clear();
                }
                else
                {
                    _isolated.Add(Any().Id);
                }
                break;
            case < 75:
                Any().Compact();
                break;
            case < 79 when leader is not null && _members.Count < 6:
                var id = _nextId++;
                _members[id] = new ScriptedMember(id, ConfState.Empty, _config, _log) { TraceConfChanges = true };
                leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, id, []));
                break;
            case < 84 when leader is not null && leader.ConfState.Learners.Count > 0:
                leader.ProposeConfChange(new ConfChange(ConfChangeType.PromoteLearner, leader.ConfState.Learners[_random.Next(leader.ConfState.Learners.Count)], []));
                break;
            case < 87 when leader is not null && leader.ConfState.Voters.Count > 1:
                leader.ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, leader.ConfState.Voters[_random.Next(leader.ConfState.Voters.Count)], []));
                break;
            case < 92 when leader is not null:
                leader.TransferLeadership(leader.ConfState.Voters[_random.Next(leader.ConfState.Voters.Count)]);
                break;
            case < 95:
                // A read must observe every write committed before it was issued.
                var reader = Any();
                var context = BitConverter.GetBytes(++_reads);
                _readFloor[_reads] = _members.Values.Max(m => m.Node.Committed);
                reader.Node.ReadIndex(context);
                break;
            case < 98:
                Any().Restart();
                break;
            default:
                break;
        }
        Deliver(lossy: true);
    }

    public string TraceTail(int lines) => string.Join("\n", _log.ToString().Split('\n').TakeLast(lines));

    public string? CheckSafety()
    {
        foreach (var n in _members.Values.Select(m => m.Node).Where(n => n.Role == RaftRole.Leader))
        {
            if (_leaderByTerm.TryGetValue(n.Term, out var other) && other != n.Id)
            {
                return $"two leaders in term {n.Term}: {other} and {n.Id}: {Describe()}";
            }
            _leaderByTerm[n.Term] = n.Id;
        }
        foreach (var m in _members.Values)
        {
            foreach (var read in m.Reads)
            {
                var floor = _readFloor[BitConverter.ToInt32(read.Context)];
                if (read.Index < floor)
                {
                    return $"member {m.Id} read at index {read.Index}, below the commit index {floor} when the read was issued";
                }
            }
            m.Reads.Clear();
        }
        var longest = _members.Values.Select(m => m.Applied).MaxBy(a => a.Count)!;
        foreach (var m in _members.Values)
        {
            if (!m.Applied.SequenceEqual(longest.Take(m.Applied.Count)))
            {
                return $"member {m.Id} applied [{string.Join(",", m.Applied)}], diverging from [{string.Join(",", longest)}]";
            }
        }
        return null;
    }

    public string? Settle()
    {
        _isolated.Clear();
        for (var i = 0; i < 300 && Leader is null; i++)
        {
            foreach (var m in _members.Values)
            {
                m.Node.Tick();
            }
            Deliver(lossy: false);
        }
        if (Leader is not { } leader)
        {
            return "no leader: " + Describe();
        }
        // A proposal can be lost to a leadership change (or refused during a transfer): retry as a client would.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            Leader?.Propose(Encoding.UTF8.GetBytes("final"));
            for (var i = 0; i < 30; i++)
            {
                foreach (var m in _members.Values)
                {
                    m.Node.Tick();
                }
                Deliver(lossy: false);
            }
            leader = Leader;
            if (leader is not null && leader.ConfState.Voters.All(v => _members[v].Applied.LastOrDefault() == "final"))
            {
                return CheckSafety();
            }
        }
        return $"a proposal never applied on every voter: {Describe()}";
    }

    private string Describe() => string.Join("; ", _members.Values.Select(m =>
    {
        var s = m.Node.GetStatus();
        var progress = string.Join(" ", s.Progress.Select(p => $"{p.Key}:{p.Value.Match}/{p.Value.Next}/{p.Value.State}"));
        return $"{s.Id} {s.Role} t{s.Term} lead={s.Leader} commit={s.Committed} applied={s.Applied} first={s.FirstIndex} last={s.LastIndex} {s.ConfState} transferee={s.LeadTransferee} [{progress}]";
    }));

    private void Deliver(bool lossy)
    {
        for (var round = 0; round < 100 && _members.Values.Any(m => m.Node.HasReady); round++)
        {
            var queue = _members.Values.SelectMany(m => m.Drain()).ToList();
            foreach (var msg in queue)
            {
                var lost = _isolated.Contains(msg.From) || _isolated.Contains(msg.To) || (lossy && _random.Next(20) == 0);
                if (lost || !_members.TryGetValue(msg.To, out var to))
                {
                    if (msg.Type == MessageType.Snapshot)
                    {
                        _members[msg.From].Node.ReportSnapshot(msg.To, ok: false);
                    }
                    continue;
                }
                to.Node.Step(msg);
                if (msg.Type == MessageType.Snapshot)
                {
                    // The transport reports the delivered snapshot, as a real host does once the stream completes.
                    _members[msg.From].Node.ReportSnapshot(msg.To, ok: true);
                }
            }
        }
    }
}
