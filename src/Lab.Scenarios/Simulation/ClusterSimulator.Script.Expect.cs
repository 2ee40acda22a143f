using K3sLab.Raft;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Scenarios.Simulation;

/// <summary>A scripted scenario's expectations, node references and write-gap bound, judged on the members' own state.</summary>
internal sealed partial class ClusterSimulator
{
    private string? Expect(ExpectStep step)
    {
        var condition = step.Condition;
        if (condition is ReadyzIs or NodesReady or LogContains or InternalIpIsCurrent)
        {
            return "not modelled";
        }

        var start = _now;
        var deadline = _now + ScenarioPlan.Ticks(step.Within);
        if (condition is WritesRefused refused)
        {
            _refusedVia = Resolve(refused.Via, step);
            _refusedSince = _now;
            _refusedStep = $"line {step.Line}: {step.Describe()}";
            StartProbe(_refusedVia);
            try
            {
                Advance(deadline - _now);
            }
            finally
            {
                _probeOn = false;
                _refusedVia = 0;
                _refusedStep = null;
            }

            return null;
        }

        if (condition is WritesSucceed succeed)
        {
            StartProbe(Resolve(succeed.Via, step));
        }

        while (true)
        {
            if (Holds(condition, start, step))
            {
                _probeOn = false;
                return null;
            }

            if (_now >= deadline)
            {
                throw new ScenarioExpectationException($"line {step.Line}: {step.Describe()} did not hold within {ScenarioPlan.Seconds(deadline - start):0.#} s of virtual time ({DescribeMembers()})");
            }

            Step();
        }
    }

    private bool Holds(Expectation condition, long since, ScenarioStep step) => condition switch
    {
        WritesSucceed => _probeAcked > since,
        LeaderElected elected => AgreedLeader() is var leader && leader != 0 && !elected.Not.Select(n => Resolve(n, step)).Contains(leader),
        VotersAre voters => VotersFollowing() == voters.Count,
        _ => throw new ScenarioNotSimulatableException(Plan!.Definition.Name, step.Line, $"'{condition.Describe()}' is not modelled"),
    };

    /// <summary>A leader that a majority of its voters, running and in its term, follow; 0 when there is none.</summary>
    private ulong AgreedLeader()
    {
        foreach (var m in _members.Where(m => m.IsUp && m.Node!.Role == RaftRole.Leader))
        {
            var node = m.Node!;
            var voters = node.ConfState.Voters;
            var following = voters.Count(v => _members[(int)v - 1] is { IsUp: true, Node: { } n } && n.Term == node.Term && n.Leader == m.Id);
            if (following > voters.Count / 2)
            {
                return m.Id;
            }
        }

        return 0;
    }

    /// <summary>The agreed leader's voters that run and follow it (0 without an agreed leader).</summary>
    private int VotersFollowing()
    {
        var leader = AgreedLeader();
        if (leader == 0)
        {
            return 0;
        }

        var node = _members[(int)leader - 1].Node!;
        return node.ConfState.Voters.Count(v => _members[(int)v - 1] is { IsUp: true, Node: { } n } && n.Term == node.Term && n.Leader == leader);
    }

    /// <summary>A node reference to a member id: 0 for nodes the simulator does not model (agents, the balancer).</summary>
    private ulong Resolve(string reference, ScenarioStep step)
    {
        if (_bound.TryGetValue(reference, out var bound))
        {
            return bound;
        }

        switch (reference)
        {
            case "leader":
                var limit = _now + ScenarioPlan.Ticks(s_resolveLimit);
                while (AgreedLeader() == 0)
                {
                    if (_now >= limit)
                    {
                        throw new ScenarioExpectationException($"line {step.Line}: {step.Describe()}: no agreed leader to name within {s_resolveLimit.TotalSeconds:0} s ({DescribeMembers()})");
                    }

                    Step();
                }

                return AgreedLeader();
            case "follower":
                var leaderId = AgreedLeader();
                var candidates = Live().Where(m => m.IsUp && m.Id != leaderId && !Enumerable.Range(1, _members.Length).Any(o => _network.IsCut(m.Id, (ulong)o))).ToList();
                return candidates.Count == 0
                    ? throw new ScenarioExpectationException($"line {step.Line}: {step.Describe()}: no running follower to name ({DescribeMembers()})")
                    : candidates[_faultRandom.Next(candidates.Count)].Id;
            case var active when Chaos.Running.ChaosNodes.ActiveOf(active) is not null:
                // No agents here: the server an agent's balancer uses is one of the running members, chosen by the seed.
                var up = Live().Where(m => m.IsUp).ToList();
                return up.Count == 0
                    ? throw new ScenarioExpectationException($"line {step.Line}: {step.Describe()}: no running member to name ({DescribeMembers()})")
                    : up[_faultRandom.Next(up.Count)].Id;
            default:
                return ScenarioPlan.MemberOf(reference, Plan!.Members);
        }
    }

    private void CheckWriteGap(ScenarioPlan plan)
    {
        if (_loadStarted < 0)
        {
            return;
        }

        var (gap, from) = (0L, _loadStarted);
        var previous = _loadStarted;
        foreach (var (tick, _) in _writeAcks.Where(a => a.Tick <= _loadStopped))
        {
            if (tick - previous > gap)
            {
                (gap, from) = (tick - previous, previous);
            }

            previous = tick;
        }

        if (_loadStopped - previous > gap)
        {
            (gap, from) = (_loadStopped - previous, previous);
        }

        _widestWriteGap = (ScenarioPlan.Seconds(gap), ScenarioPlan.Seconds(from));
        if (plan.WriteGapLimit is { } limit && ScenarioPlan.Seconds(gap) > limit.TotalSeconds)
        {
            throw new ScenarioExpectationException($"write-gap: no write acknowledged for {ScenarioPlan.Seconds(gap):0.0} s from {ScenarioPlan.Seconds(from):0.0} s, above the bound of {limit.TotalSeconds:0.#} s");
        }
    }

    private (double Seconds, double From) _widestWriteGap;
}
