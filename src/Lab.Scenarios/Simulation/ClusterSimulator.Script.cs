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

    private void Advance(long ticks)
    {
        for (var t = 0L; t < ticks; t++)
        {
            Step();
        }
    }

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

    private ulong Bind(string? alias, ulong member)
    {
        if (alias is not null)
        {
            _bound[alias] = member;
        }

        return member;
    }
}
