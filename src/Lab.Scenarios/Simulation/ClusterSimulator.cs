using System.Text;
using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// Runs N pure Raft members in one process on virtual time with a seeded network and disks. A safety phase injects
/// faults (drops, delays, duplicates, partitions, crashes with power loss); a heal phase removes them and the cluster
/// must converge. Everything derives from the seed, so a failing seed replays exactly.
/// </summary>
internal sealed class ClusterSimulator
{
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly SimulatedNetwork _network;
    private readonly SimulatedMember[] _members;
    private readonly Dictionary<ulong, (ulong Term, byte[] Data)> _appliedByIndex = [];
    private readonly Dictionary<ulong, ulong> _leaderByTerm = [];
    private readonly List<(ulong Term, ulong Index)> _acknowledged = [];
    private readonly Dictionary<(ulong Member, ulong Index), ulong> _pending = [];
    private long _now;
    private bool _acceptWrites = true;
    private int _writes;
    private string? _failure;

    public ClusterSimulator(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _network = new SimulatedNetwork(new Random(_random.Next()));
        var ids = Enumerable.Range(1, options.Members).Select(i => (ulong)i).ToArray();
        _members = [.. ids.Select(id => new SimulatedMember(id, ids, new Random(_random.Next()), options.Bug))];
    }

    public SimulationResult Run()
    {
        try
        {
            return RunPhases();
        }
        catch (InvalidOperationException e)
        {
            // A core invariant check (e.g. a conflict below the commit index) is a safety violation, not a crash.
            return new SimulationResult(_options.Seed, false, $"invariant broken: {e.Message}", _acknowledged.Count, _leaderByTerm.Count);
        }
    }

    private SimulationResult RunPhases()
    {
        // Each seed picks its own fault mix.
        var dropRate = _random.NextDouble() * 0.2;
        var duplicateRate = _random.NextDouble() * 0.1;
        var maxDelay = 1 + _random.Next(5);
        var partitionRate = _random.NextDouble() * 0.02;
        var crashRate = _random.NextDouble() * 0.03;
        var restartRate = 0.05 + _random.NextDouble() * 0.5;

        for (var t = 0; t < _options.SafetyTicks && _failure is null; t++)
        {
            _network.DropRate = dropRate;
            _network.DuplicateRate = duplicateRate;
            _network.MaxDelay = maxDelay;
            if (_random.NextDouble() < partitionRate)
            {
                Repartition();
            }
            if (_random.NextDouble() < crashRate)
            {
                var victim = _members[_random.Next(_members.Length)];
                if (victim.IsUp)
                {
                    victim.Crash();
                }
            }
            foreach (var m in _members.Where(m => !m.IsUp && _random.NextDouble() < restartRate))
            {
                m.Restart();
            }
            Step();
        }

        _network.Heal();
        _network.MaxDelay = 1;
        foreach (var m in _members.Where(m => !m.IsUp))
        {
            m.Restart();
        }
        for (var t = 0; t < _options.HealTicks && _failure is null; t++)
        {
            // The last quarter of the heal phase takes no new writes, so "converged" means caught up, not racing.
            _acceptWrites = t < _options.HealTicks * 3 / 4;
            Step();
        }
        _failure ??= CheckConverged();
        return new SimulationResult(_options.Seed, _failure is null, _failure, _acknowledged.Count, _leaderByTerm.Count);
    }

    private void Repartition()
    {
        _network.Heal();
        var kind = _random.Next(3);
        foreach (var a in _members)
        {
            foreach (var b in _members)
            {
                if (a.Id == b.Id)
                {
                    continue;
                }
                var cut = kind switch
                {
                    0 => false,
                    1 => (a.Id == 1) != (b.Id == 1) || _random.Next(4) == 0,
                    _ => _random.Next(3) == 0, // random asymmetric cuts
                };
                if (cut)
                {
                    _network.Cut(a.Id, b.Id);
                }
            }
        }
    }

    private void Step()
    {
        _now++;
        foreach (var msg in _network.Due(_now).ToList())
        {
            var to = _members[(int)msg.To - 1];
            if (to.IsUp)
            {
                to.Node!.Step(msg);
            }
        }
        foreach (var m in _members.Where(m => m.IsUp))
        {
            m.Node!.Tick();
        }
        var leaders = _members.Where(m => m.IsUp && m.Node!.Role == RaftRole.Leader).ToList();
        if (_acceptWrites && leaders.Count > 0 && _random.NextDouble() < 0.3)
        {
            var leader = leaders[_random.Next(leaders.Count)];
            var command = Encoding.UTF8.GetBytes($"put k{_random.Next(8)} v{_writes++}");
            if (leader.Node!.Propose(command) is { } p)
            {
                _pending[(leader.Id, p.Index)] = p.Term;
            }
        }
        foreach (var m in _members.Where(m => m.IsUp))
        {
            Drain(m);
        }
    }

    private void Drain(SimulatedMember member)
    {
        var node = member.Node!;
        while (_failure is null && node.HasReady)
        {
            var ready = node.TakeReady();
            member.Disk.Write(ready.HardState, ready.Entries);
            if (_options.Bug != PlantedBug.AckBeforeFsync)
            {
                member.Disk.Sync();
            }
            foreach (var msg in ready.Messages)
            {
                _network.Send(msg, _now);
            }
            if (_options.Bug == PlantedBug.AckBeforeFsync && _random.Next(2) == 0)
            {
                member.Disk.Sync();
            }
            foreach (var e in ready.CommittedEntries)
            {
                Apply(member, e);
            }
            node.Advance(ready);
            if (node.Role == RaftRole.Leader && !_leaderByTerm.TryAdd(node.Term, member.Id) && _leaderByTerm[node.Term] != member.Id)
            {
                _failure = $"two leaders in term {node.Term}: {_leaderByTerm[node.Term]} and {member.Id}";
            }
        }
    }

    private void Apply(SimulatedMember member, Entry e)
    {
        if (_appliedByIndex.TryGetValue(e.Index, out var seen))
        {
            if (seen.Term != e.Term || !seen.Data.AsSpan().SequenceEqual(e.Data))
            {
                _failure = $"member {member.Id} applied {e} at index {e.Index} but another member applied term {seen.Term} there";
            }
        }
        else
        {
            _appliedByIndex[e.Index] = (e.Term, e.Data);
        }
        if (e.Index != member.StateMachine.AppliedIndex + 1)
        {
            _failure = $"member {member.Id} applied index {e.Index} after {member.StateMachine.AppliedIndex}";
        }
        member.StateMachine.Apply(e.Index, e.Data);
        if (_pending.Remove((member.Id, e.Index), out var term) && term == e.Term)
        {
            _acknowledged.Add((term, e.Index));
        }
    }

    private string? CheckConverged()
    {
        var first = _members[0];
        foreach (var m in _members)
        {
            if (m.StateMachine.AppliedIndex != first.StateMachine.AppliedIndex || m.StateMachine.StateHash != first.StateMachine.StateHash)
            {
                return $"no convergence after heal: member {m.Id} applied {m.StateMachine.AppliedIndex} hash {m.StateMachine.StateHash:x}, member {first.Id} applied {first.StateMachine.AppliedIndex} hash {first.StateMachine.StateHash:x}";
            }
        }
        foreach (var (term, index) in _acknowledged)
        {
            if (!_appliedByIndex.TryGetValue(index, out var e) || e.Term != term || index > first.StateMachine.AppliedIndex)
            {
                return $"acknowledged write {index}@t{term} lost";
            }
        }
        return null;
    }
}
