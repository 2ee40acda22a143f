using K3sLab.Lab.Datastores;
using K3sLab.Scenarios.Chaos.Definitions;

namespace K3sLab.Scenarios.Simulation.Scripted;

/// <summary>
/// A chaos scenario made ready for the deterministic simulator: the members are the scenario's servers (the embedded
/// store's members), the workload is the first <c>load</c> step's, and everything the simulator does not model is
/// either skipped with a reason (agents, the load balancer, <c>/readyz</c>, Node readiness, logs, container restarts)
/// or, when skipping it would change what the datastore goes through, refuses the whole scenario
/// (<see cref="ScenarioNotSimulatableException"/>).
/// </summary>
internal sealed record ScenarioPlan(ScenarioDefinition Definition, int Clients, int Keys, int Watchers, ClientRouting Routing, IReadOnlyList<string> Skipped)
{
    /// <summary>Milliseconds of real time one simulator tick stands for (the host ticks Raft every 100 ms).</summary>
    public const int TickMilliseconds = 100;

    /// <summary>The embedded store's members: one per server, ids 1..N in server order.</summary>
    public int Members => Definition.Servers;

    /// <summary>The bound of the <c>write-gap</c> check, if the scenario has one.</summary>
    public TimeSpan? WriteGapLimit => Definition.Checks.FirstOrDefault(c => c.Kind == CheckKind.WriteGap)?.Limit;

    /// <summary>Ticks in <paramref name="duration"/>, rounded up.</summary>
    public static long Ticks(TimeSpan duration) => (long)Math.Ceiling(duration.TotalMilliseconds / TickMilliseconds);

    /// <summary>Seconds in <paramref name="ticks"/>.</summary>
    public static double Seconds(long ticks) => ticks * TickMilliseconds / 1000.0;

    /// <summary>The member id of a server reference (<c>server-2</c> is member 3); 0 for any other node.</summary>
    public static ulong MemberOf(string node, int servers) =>
        node.StartsWith("server-", StringComparison.Ordinal) && int.TryParse(node.AsSpan("server-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < servers
            ? (ulong)i + 1
            : 0;

    /// <summary>Builds the plan, or says why the scenario cannot run in the simulator.</summary>
    /// <exception cref="ScenarioNotSimulatableException">A datastore, a fault or a cluster shape the simulator does not model.</exception>
    public static ScenarioPlan From(ScenarioDefinition definition)
    {
        var name = definition.Name;
        if (definition.Datastore.Resolve(definition.Servers) != LabDatastore.Embedded)
        {
            throw new ScenarioNotSimulatableException(name, 0, $"the simulator models the embedded store, and this scenario runs on {LabDatastores.Word(definition.Datastore.Resolve(definition.Servers))}");
        }

        var skipped = new List<string>();
        var bindings = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool IsMember(string reference) =>
            reference is "leader" or "follower" || MemberOf(reference, definition.Servers) != 0 || bindings.GetValueOrDefault(reference)
            || Chaos.Running.ChaosNodes.ActiveOf(reference) is not null;
        void Bind(string? alias, string target)
        {
            if (alias is not null)
            {
                bindings[alias] = IsMember(target);
            }
        }

        StartLoadStep? load = null;
        foreach (var step in definition.Steps)
        {
            var at = $"line {step.Line}: {step.Describe()}";
            switch (step)
            {
                case StartLoadStep l:
                    load ??= l;
                    break;
                case StartStoreLoadStep s:
                    // The simulator's clients are store-level clients already.
                    load ??= new StartLoadStep(s.Line, s.Clients, s.Keys, s.Via, s.Watchers);
                    break;
                case NodeStep n when n.Action == NodeAction.Reimage && IsMember(n.Target):
                    throw new ScenarioNotSimulatableException(name, step.Line, "re-imaging a server makes it rejoin through the k3s join flow, which the simulator does not model");
                case NodeStep n:
                    Bind(n.As, n.Target);
                    if (!IsMember(n.Target))
                    {
                        skipped.Add($"{at} (not a datastore member)");
                    }

                    break;
                case IsolateStep i:
                    Bind(i.As, i.Target);
                    if (!IsMember(i.Target))
                    {
                        skipped.Add($"{at} (not a datastore member)");
                    }

                    break;
                case OneWayStep o when !IsMember(o.From) || !IsMember(o.To):
                case LossStep s when !IsMember(s.Target):
                    skipped.Add($"{at} (not between datastore members)");
                    break;
                case RingStep r when !r.Nodes.All(IsMember):
                    throw new ScenarioNotSimulatableException(name, step.Line, "a ring of other nodes than datastore members changes what the members see in ways the simulator does not model");
                case PartitionStep p when p.Groups.Count(g => g.Any(IsMember)) < 2:
                    skipped.Add($"{at} (separates no datastore members)");
                    break;
                case JoinStep:
                    throw new ScenarioNotSimulatableException(name, step.Line, "servers join through the k3s join flow, which the simulator does not model");
                case ChangeIpStep c when IsMember(c.Target):
                    throw new ScenarioNotSimulatableException(name, step.Line, "a server's address change (etcd MemberUpdate at restart) is not modelled in the simulator");
                case ChangeIpStep c:
                    Bind(c.As, c.Target);
                    skipped.Add($"{at} (not a datastore member)");
                    break;
                case DeleteNodeStep:
                    skipped.Add($"{at} (Kubernetes API objects are not modelled)");
                    break;
                case ExpectStep { Condition: ReadyzIs or NodesReady or LogContains or InternalIpIsCurrent }:
                    skipped.Add($"{at} (the simulator has no API server, kubelet or logs)");
                    break;
                case ServiceProbeStep:
                    skipped.Add($"{at} (the simulator has no pods, Services or DNS)");
                    break;
                default:
                    break;
            }
        }

        foreach (var check in definition.Checks.Where(c => c.Kind is CheckKind.NodesStayedReady or CheckKind.NoRestarts or CheckKind.AgentFailover or CheckKind.ServiceOutage))
        {
            skipped.Add($"line {check.Line}: check {check} (no kubelets or containers in the simulator)");
        }

        if (definition.Servers < 3)
        {
            throw new ScenarioNotSimulatableException(name, 0, $"the simulator needs at least 3 members, and this scenario has {definition.Servers} server(s)");
        }

        if (load is null)
        {
            throw new ScenarioNotSimulatableException(name, 0, "it starts no load, so there is nothing for the simulator's checks to judge");
        }

        var routing = load.Via switch
        {
            "each-server" => ClientRouting.EachServer,
            var via when MemberOf(via, definition.Servers) != 0 => ClientRouting.OneServer,
            _ => ClientRouting.FollowLeader,
        };
        return new ScenarioPlan(definition, load.Clients, load.Keys, load.Watchers, routing, skipped)
        {
            PinnedMember = routing == ClientRouting.OneServer ? MemberOf(load.Via, definition.Servers) : 0,
        };
    }

    /// <summary>With <see cref="ClientRouting.OneServer"/>: the member every client sends to.</summary>
    public ulong PinnedMember { get; init; }
}

/// <summary>Where the simulated clients send their requests.</summary>
internal enum ClientRouting
{
    /// <summary>To the member they believe leads, moving on a refusal's hint (the load balancer's view: any server serves).</summary>
    FollowLeader,
    /// <summary>Client i always to member (i mod N) + 1, which forwards writes to its leader (<c>via: each-server</c>).</summary>
    EachServer,
    /// <summary>Every client to one member, which forwards writes to its leader (<c>via: server-1</c>).</summary>
    OneServer,
}
