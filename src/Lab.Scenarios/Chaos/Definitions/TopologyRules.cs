using K3sLab.Lab.Datastores;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>
/// What a scenario may ask of its cluster's datastore. Terms, leaders, voters and member hashes exist only where the
/// datastore has members: the embedded Raft store, or an external etcd cluster (whose members the lab then observes
/// with etcdctl inside them). On one server's SQLite file or on PostgreSQL there is nothing to observe, so the
/// checks, expectations and references that need members are refused here, with their line, rather than passing
/// with nothing seen.
/// </summary>
public static class TopologyRules
{
    /// <exception cref="ScenarioFormatException">The scenario asks for members its datastore does not have.</exception>
    public static void Check(ScenarioDefinition scenario)
    {
        if (scenario.Steps.OfType<StartStoreLoadStep>().FirstOrDefault() is { } store && scenario.Datastore.Resolve(scenario.Servers) != LabDatastore.Embedded)
        {
            throw new ScenarioFormatException($"{scenario.Source}:{store.Line}: store-load talks to the embedded datastore's members on the servers, and {Describe(scenario)} has none there; use 'load' (the Kubernetes API) instead");
        }

        CheckServiceProbe(scenario);
        if (scenario.Replicated)
        {
            return;
        }

        var topology = Describe(scenario);
        foreach (var check in scenario.Checks.Where(c => c.Kind is CheckKind.OneLeaderPerTerm or CheckKind.Converged))
        {
            var name = CheckSpec.Names.First(n => n.Value == check.Kind).Key;
            throw new ScenarioFormatException($"{scenario.Source}:{check.Line}: the check '{name}' compares datastore members (embedded or etcd), and {topology} has none; leave it out");
        }

        foreach (var step in scenario.Steps)
        {
            if (step is ExpectStep { Condition: VotersAre or LeaderElected } expect)
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: 'expect: {expect.Condition.Describe()}' needs datastore members (embedded or etcd), and {topology} has none");
            }

            if (References(step).FirstOrDefault(r => r is "leader" or "follower") is { } dynamic)
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: '{dynamic}' names a datastore member (embedded or etcd), and {topology} has none; name the node, e.g. server-0");
            }
        }
    }

    /// <summary>
    /// The Service probe runs its web pods on the agents (so that a server fault tests the cluster's DNS and proxy, not
    /// the loss of a backend), starts once, and is what <c>service-outage</c> reads.
    /// </summary>
    private static void CheckServiceProbe(ScenarioDefinition scenario)
    {
        var probes = scenario.Steps.OfType<ServiceProbeStep>().ToList();
        if (probes.Count > 0 && scenario.Agents == 0)
        {
            throw new ScenarioFormatException($"{scenario.Source}:{probes[0].Line}: service-probe runs its web pods on the agents, and the cluster has none; add agents: 1 or more");
        }

        if (probes.Count > 1)
        {
            throw new ScenarioFormatException($"{scenario.Source}:{probes[1].Line}: service-probe starts once per run (it runs until the checks)");
        }

        if (probes.Count > 0 && probes[0].From is "lb" or "leader" or "follower")
        {
            throw new ScenarioFormatException($"{scenario.Source}:{probes[0].Line}: service-probe runs its client pod on a server or an agent named as such (server-0, agent-1), not '{probes[0].From}'");
        }

        if (scenario.Checks.FirstOrDefault(c => c.Kind == CheckKind.ServiceOutage) is { } check && probes.Count == 0)
        {
            throw new ScenarioFormatException($"{scenario.Source}:{check.Line}: the check 'service-outage' reads the Service probe's calls; start it with a step '- service-probe: {{from: agent-0}}'");
        }
    }

    /// <summary>The node references a step makes, as written.</summary>
    public static IReadOnlyList<string> References(ScenarioStep step) => step switch
    {
        NodeStep n => [n.Target],
        IsolateStep s => [s.Target],
        ChangeIpStep c => [c.Target],
        PartitionStep p => [.. p.Groups.SelectMany(g => g)],
        RingStep r => r.Nodes,
        OneWayStep d => [d.From, d.To],
        LossStep l => [l.Target],
        ServiceProbeStep p => [p.From],
        StartLoadStep { Via: not ("lb" or "each-server") } load => [load.Via],
        StartStoreLoadStep { Via: not "each-server" } store => [store.Via],
        ExpectStep { Condition: WritesSucceed { Via: not "lb" } w } => [w.Via],
        ExpectStep { Condition: WritesRefused w } => [w.Via],
        ExpectStep { Condition: ReadyzIs r } => [r.Node],
        ExpectStep { Condition: LogContains l } => [l.Node],
        ExpectStep { Condition: InternalIpIsCurrent i } => [i.Node],
        DeleteNodeStep d => [d.Target],
        ExpectStep { Condition: NodesReady r } => r.Nodes,
        ExpectStep { Condition: LeaderElected l } => l.Not,
        _ => [],
    };

    /// <summary>The references of a step that must be an API endpoint: a server or the balancer.</summary>
    public static IReadOnlyList<string> ApiReferences(ScenarioStep step) => step switch
    {
        StartLoadStep { Via: not ("lb" or "each-server") } load => [load.Via],
        StartStoreLoadStep { Via: not "each-server" } store => [store.Via],
        ExpectStep { Condition: WritesSucceed { Via: not "lb" } w } => [w.Via],
        ExpectStep { Condition: WritesRefused w } => [w.Via],
        ExpectStep { Condition: ReadyzIs r } => [r.Node],
        _ => [],
    };

    private static string Describe(ScenarioDefinition scenario) => scenario.Datastore.Resolve(scenario.Servers) switch
    {
        LabDatastore.Postgres => "a cluster on PostgreSQL (datastore: postgres)",
        LabDatastore.Etcd => "a cluster on an external etcd (datastore: etcd)",
        LabDatastore.Split => "a split cluster, whose members are its etcd-only servers (datastore: split)",
        _ => "a single server on SQLite",
    };
}
