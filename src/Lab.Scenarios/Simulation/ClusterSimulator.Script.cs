using K3sLab.Raft;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// With <see cref="SimulationOptions.Scenario"/>: the safety phase runs a chaos scenario's steps instead of the seed's
/// random nemesis. Faults hit the members the steps name (servers are members 1..N); <c>kill</c> is a power loss
/// that drops unsynced bytes (and may tear the last write), <c>stop</c> and <c>restart</c> keep what was written;
/// expectations are polled every tick against the members' own state; a <c>writes: refused</c> window fails the run
/// the moment the named member acknowledges a write. The seed still picks the network's delays, the elections'
/// timeouts, the clients' requests and where a power loss tears the WAL.
/// </summary>
internal sealed partial class ClusterSimulator
{
    /// <summary>Most virtual time a <c>leader</c> reference waits for an agreed leader.</summary>
    private static readonly TimeSpan s_resolveLimit = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, ulong> _bound = new(StringComparer.Ordinal);
    private readonly List<ScriptStepOutcome> _scriptSteps = [];
    private readonly List<(long Tick, ulong Member)> _writeAcks = [];
    private readonly HashSet<ulong> _scriptedKills = [];
    private readonly List<(long Due, ulong Member, int Incarnation)> _deathReports = [];
    private bool _probeRoundRobin;
    private ulong _probeNext;
    private SimulatedClient? _probe;
    private bool _probeOn;
    private long _probeAcked = -1;
    private bool _loadOn = true;
    private long _scriptStart;
    private long _loadStarted = -1;
    private long _loadStopped = -1;
    private ulong _refusedVia;
    private long _refusedSince;
    private string? _refusedStep;

    private ScenarioPlan? Plan => _options.Scenario;

    private void RunScript(ScenarioPlan plan)
    {
        _loadOn = false;
        // The chaos runner starts on a cluster that is up: every member a voter following one leader.
        var formed = _now + ScenarioPlan.Ticks(TimeSpan.FromSeconds(60));
        while (VotersFollowing() < plan.Members)
        {
            if (_now >= formed)
            {
                throw new LivenessFailureException($"the cluster did not form within 60 s of virtual time ({DescribeMembers()})");
            }

            Step();
        }

        _trace.Event(_now, $"cluster formed; the scenario starts");
        _scriptStart = _now;
        foreach (var step in plan.Definition.Steps)
        {
            var started = _now;
            var note = RunStep(step);
            _scriptSteps.Add(new ScriptStepOutcome(step.Line, step.Describe(), ScenarioPlan.Seconds(started - _scriptStart), ScenarioPlan.Seconds(_now - started), note));
            _trace.Event(_now, $"step line {step.Line} done: {step.Describe()}{(note is null ? "" : $" ({note})")}");
        }

        if (_loadOn)
        {
            _loadOn = false;
            _loadStopped = _now;
        }

        CheckWriteGap(plan);
    }

    /// <summary>Runs one step, advancing virtual time as it needs; returns why it was skipped, or null.</summary>
    private string? RunStep(ScenarioStep step)
    {
        switch (step)
        {
            case StartLoadStep or StartStoreLoadStep:
                _loadOn = true;
                _loadStarted = _loadStarted < 0 ? _now : _loadStarted;
                return null;
            case StopLoadStep:
                _loadOn = false;
                _loadStopped = _now;
                for (var t = 0; t < _mix.ClientTimeout + 1 && HasPendingClients(); t++)
                {
                    Step();
                }

                return null;
            case WaitStep wait:
                Advance(ScenarioPlan.Ticks(wait.Duration));
                return null;
            case NodeStep node:
                return NodeFault(node);
            case IsolateStep isolate:
                var cut = Bind(isolate.As, Resolve(isolate.Target, step));
                if (cut == 0)
                {
                    return "not a datastore member";
                }

                foreach (var other in Live().Where(m => m.Id != cut))
                {
                    _network.Cut(cut, other.Id);
                    _network.Cut(other.Id, cut);
                }

                _partitions++;
                _trace.Event(_now, $"member {cut} isolated");
                return null;
            case PartitionStep partition:
                var groups = partition.Groups.Select(g => g.Select(n => Resolve(n, step)).Where(id => id != 0).ToArray()).Where(g => g.Length > 0).ToList();
                if (groups.Count < 2)
                {
                    return "separates no datastore members";
                }

                for (var i = 0; i < groups.Count; i++)
                {
                    for (var j = i + 1; j < groups.Count; j++)
                    {
                        NetworkPartition.CutBetween(_network, groups[i], groups[j]);
                    }
                }

                _partitions++;
                _trace.Event(_now, $"partition {string.Join(" | ", groups.Select(g => $"[{string.Join(",", g)}]"))}");
                return null;
            case RingStep ring:
                var members = ring.Nodes.Select(n => Resolve(n, step)).ToArray();
                if (members.Any(m => m == 0))
                {
                    return "not all datastore members";
                }

                for (var i = 0; i < members.Length; i++)
                {
                    for (var j = 0; j < members.Length; j++)
                    {
                        if (i != j && !RingStep.Linked(i, j, members.Length))
                        {
                            _network.Cut(members[i], members[j]);
                        }
                    }
                }

                _partitions++;
                _trace.Event(_now, $"majorities ring [{string.Join(" - ", members)}]");
                return null;
            case OneWayStep drop:
                var (from, to) = (Resolve(drop.From, step), Resolve(drop.To, step));
                if (from == 0 || to == 0)
                {
                    return "not between datastore members";
                }

                _network.Cut(from, to);
                _partitions++;
                return null;
            case LossStep loss:
                var lossy = Resolve(loss.Target, step);
                if (lossy == 0)
                {
                    return "not a datastore member";
                }

                _network.SetIncomingLoss(lossy, loss.Probability);
                return null;
            case HealStep:
                _network.ClearCuts();
                _network.ClearIncomingLoss();
                foreach (var m in _members.Where(m => m.Status == MemberStatus.Paused))
                {
                    ResumeMember(m);
                }

                return null;
            case ExpectStep expect:
                return Expect(expect);
            case ChangeIpStep or DeleteNodeStep:
                return "not a datastore member";
            default:
                throw new ScenarioNotSimulatableException(Plan!.Definition.Name, step.Line, $"step '{step.Describe()}' is not modelled");
        }
    }

    private string? NodeFault(NodeStep step)
    {
        var id = Bind(step.As, Resolve(step.Target, step));
        if (id == 0)
        {
            return "not a datastore member";
        }

        var member = _members[(int)id - 1];
        switch (step.Action)
        {
            case NodeAction.Kill when member.IsUp:
                // SIGKILL lands anywhere, including between a WAL write and its fsync: the member dies while it
                // handles its next Ready (or at the end of the tick), and the power loss drops what was not synced.
                _scriptedKills.Add(id);
                _crashAt[id] = (CrashPoint)(1 + _faultRandom.Next(6));
                Step();
                if (member.Status != MemberStatus.Down)
                {
                    _scriptedKills.Remove(id);
                    _crashAt[id] = CrashPoint.None;
                    ScriptCrash(member, powerLoss: true);
                }

                break;
            case NodeAction.Kill when member.Status == MemberStatus.Paused:
                ScriptCrash(member, powerLoss: true);
                break;
            case NodeAction.Stop when member.Status != MemberStatus.Down:
                ScriptCrash(member, powerLoss: false);
                break;
            case NodeAction.Restart:
                if (member.Status != MemberStatus.Down)
                {
                    ScriptCrash(member, powerLoss: false);
                }

                StartMember(member);
                break;
            case NodeAction.Start when member.Status == MemberStatus.Down:
                StartMember(member);
                break;
            case NodeAction.Pause when member.IsUp:
                member.Pause(long.MaxValue);
                _pauses++;
                _trace.Event(_now, $"member {id} paused");
                break;
            case NodeAction.Unpause when member.Status == MemberStatus.Paused:
                ResumeMember(member);
                break;
            default:
                break;
        }

        return null;
    }

    private void ScriptCrash(SimulatedMember member, bool powerLoss)
    {
        var unsynced = member.Disk.Length - member.Disk.SyncedLength;
        var kept = member.Crash(powerLoss, _faultRandom, _mix.TornChance);
        member.UntilTick = long.MaxValue;
        _crashes++;
        _powerLosses += powerLoss ? 1 : 0;
        _trace.Event(_now, $"member {member.Id} {(powerLoss ? $"loses power ({unsynced} unsynced bytes, {kept} kept)" : "stops")}");
        CountUnsyncedLoss(powerLoss, unsynced, kept);
        OnMemberGone(member);
        // A killed container's sockets still close (the kernel sends FIN/RST), so its peers' transports notice.
        ReportProcessDeath(member);
    }

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

    /// <summary>Called for every acknowledged write of the workload or the probe (see <see cref="Complete"/>).</summary>
    private void OnWriteAcknowledged(ulong member, long sent, string what, bool probe)
    {
        if (probe)
        {
            _probeAcked = _now;
        }
        else
        {
            _writeAcks.Add((_now, member));
        }

        // Only a write sent within the window counts: one committed before it may still be answered in it.
        if (_refusedStep is not null && sent >= _refusedSince && (_refusedVia == 0 || _refusedVia == member))
        {
            throw new SafetyViolationException($"{_refusedStep}: member {member} acknowledged {what}, sent at {ScenarioPlan.Seconds(sent):0.0} s, at {ScenarioPlan.Seconds(_now):0.0} s");
        }
    }

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

    /// <summary>
    /// A pinned client's write at a follower: the follower hands it to the leader it follows when the link both ways
    /// is up (the store's Forward RPC), and the client's answer comes from the follower's own apply of that index.
    /// Returns the leader's index, or null when there is no reachable leader (the write is refused).
    /// </summary>
    private ulong? ForwardToLeader(SimulatedMember member, KvCommand command)
    {
        var leaderId = member.Node!.Leader;
        if (leaderId == RaftNode.None || leaderId == member.Id || _network.IsCut(member.Id, leaderId) || _network.IsCut(leaderId, member.Id))
        {
            return null;
        }

        var leader = _members[(int)leaderId - 1];
        return leader is { IsUp: true, Node: { Role: RaftRole.Leader } node } ? node.Propose(command.Encode())?.Index : null;
    }

    /// <summary>
    /// Starts the probe: one sequential writer of the key <c>probe</c>, as the chaos runner's probe requests, through
    /// <paramref name="via"/> (a member, which forwards to its leader) or, for 0, to whichever member leads.
    /// </summary>
    private void StartProbe(ulong via)
    {
        _probe ??= new SimulatedClient(_mix.Clients + 1, 1);
        _probe.Pinned = via;
        _probe.LeaderGuess = via != 0 ? via : _probe.LeaderGuess;
        _probeRoundRobin = via == 0;
        _probeOn = true;
    }

    private void TickProbe(SimulatedClient probe)
    {
        if (probe.Pending is null && _probeOn && !_healing && _probeRoundRobin && _now >= probe.NextTick)
        {
            // Through the load balancer each new request lands on the next server, which forwards it to its leader.
            _probeNext = _probeNext % (ulong)Plan!.Members + 1;
            probe.Pinned = _probeNext;
            probe.LeaderGuess = _probeNext;
        }

        if (probe.Pending is not null || (_probeOn && !_healing))
        {
            TickClient(probe, tombstone: false);
        }
    }

    private void DeliverDeathReports()
    {
        for (var i = 0; i < _deathReports.Count; i++)
        {
            var (due, id, incarnation) = _deathReports[i];
            if (due > _now)
            {
                continue;
            }

            _deathReports.RemoveAt(i--);
            var dead = _members[(int)id - 1];
            if (dead.Status == MemberStatus.Down && dead.Incarnation == incarnation)
            {
                TellPeersOfDeath(dead);
            }
        }
    }

    private ulong Bind(string? alias, ulong member)
    {
        if (alias is not null)
        {
            _bound[alias] = member;
        }

        return member;
    }

    private void Advance(long ticks)
    {
        for (var t = 0L; t < ticks; t++)
        {
            Step();
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

    /// <summary>Heal for a scripted run: what the chaos runner does, no more (no member restarted that runs).</summary>
    private void HealAfterScript()
    {
        _network.Heal();
        _network.ClearIncomingLoss();
        foreach (var m in Live())
        {
            if (m.Status == MemberStatus.Paused)
            {
                ResumeMember(m);
            }
            else if (m.Status == MemberStatus.Down)
            {
                StartMember(m);
            }
        }

        _trace.Event(_now, "heal: network faults removed, paused members thawed, stopped members started");
    }
}
