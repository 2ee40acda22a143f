using System.Globalization;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>One step of a scenario. <see cref="Line"/> is its line in the YAML file (0 when built in C#).</summary>
public abstract record ScenarioStep(int Line)
{
    /// <summary>How the step reads in reports, close to its YAML.</summary>
    public abstract string Describe();

    /// <summary>Formats a duration the way scenario files write it.</summary>
    protected static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0}s")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0}ms");
}

/// <summary>Starts the workload: register clients (reads and compare-and-swap writes) plus ledger creates.</summary>
/// <param name="Line">The step's YAML line.</param>
/// <param name="Clients">Concurrent clients.</param>
/// <param name="Keys">Register keys shared by the clients.</param>
/// <param name="Via">Where clients send requests: <c>lb</c> (the cluster's API address), <c>each-server</c> (client i to server i mod n), or a node reference.</param>
/// <param name="Watchers">Watchers of the workload's ConfigMaps, spread over the same places as the clients.</param>
public sealed record StartLoadStep(int Line, int Clients, int Keys, string Via, int Watchers = 0) : ScenarioStep(Line)
{
    /// <summary>The default share of register reads in the clients' mix, in percent.</summary>
    public const int DefaultReadPercent = 40;

    /// <summary>
    /// The share of register reads in each client's mix, in percent (0-80): ledger appends are always 20%, and
    /// compare-and-swaps the rest. A write-heavy mix keeps clients writing where reads would wait on a lost quorum.
    /// </summary>
    public int ReadPercent { get; init; } = DefaultReadPercent;

    public override string Describe() => $"load: {Clients} clients, {Keys} keys, {Watchers} watchers, {ReadPercent}% reads, via {Via}";
}

/// <summary>
/// Starts the store-level workload on the etcd v3 API of the servers' embedded datastore members (port 2379, the
/// servers' own etcd client certificate): clients that read, put and compare-and-swap (Txn on the mod revision) keys
/// under <c>/k3slab-chaos/</c>, and watchers of those keys that resume on the next server after a broken stream.
/// </summary>
/// <param name="Line">The step's YAML line.</param>
/// <param name="Clients">Concurrent clients.</param>
/// <param name="Keys">Keys shared by the clients.</param>
/// <param name="Via"><c>each-server</c> (client i to server i mod n) or one server.</param>
/// <param name="Watchers">Watchers of the keys, spread over the same servers.</param>
public sealed record StartStoreLoadStep(int Line, int Clients, int Keys, string Via, int Watchers = 0) : ScenarioStep(Line)
{
    public override string Describe() => $"store-load: {Clients} etcd clients, {Keys} keys, {Watchers} watchers, via {Via}";
}

/// <summary>
/// Starts the Service probe: a web pod on every agent behind one ClusterIP Service, and a client pod on
/// <see cref="From"/> that calls the Service by its DNS name, 0.25 s after each call ends, for the rest of the run, through
/// the pod's resolv.conf, the cluster DNS, the kube-dns Service and the service proxy, as any workload in a pod does.
/// </summary>
/// <param name="Line">The step's YAML line.</param>
/// <param name="From">The node (a server or an agent) whose pod makes the calls.</param>
public sealed record ServiceProbeStep(int Line, string From) : ScenarioStep(Line)
{
    public override string Describe() => $"service-probe: from {From}";
}

/// <summary>Stops the workload and waits for the clients' requests in flight to finish.</summary>
public sealed record StopLoadStep(int Line) : ScenarioStep(Line)
{
    public override string Describe() => "stop-load";
}

/// <summary>Does nothing for a while (the workload and observers keep running).</summary>
public sealed record WaitStep(int Line, TimeSpan Duration) : ScenarioStep(Line)
{
    public override string Describe() => $"wait: {Format(Duration)}";
}

/// <summary>A lifecycle fault or repair on one node.</summary>
/// <param name="Line">The step's YAML line.</param>
/// <param name="Action">What to do to the node.</param>
/// <param name="Target">A node reference: <c>server-0</c>, <c>agent-1</c>, <c>lb</c>, <c>leader</c>, <c>follower</c>, or a name bound earlier with <c>as</c>.</param>
/// <param name="As">Binds the resolved node to this name for later steps (e.g. <c>start: victim</c>).</param>
public sealed record NodeStep(int Line, NodeAction Action, string Target, string? As) : ScenarioStep(Line)
{
    public override string Describe() => $"{NodeActions.Name(Action)}: {Target}" + (As is null ? "" : $" as {As}");
}

/// <summary>Cuts one node off from every other node of the cluster, both ways (iptables inside the node).</summary>
public sealed record IsolateStep(int Line, string Target, string? As) : ScenarioStep(Line)
{
    public override string Describe() => $"isolate: {Target}" + (As is null ? "" : $" as {As}");
}

/// <summary>Splits the cluster into groups that cannot reach each other; nodes in no group keep all their links.</summary>
public sealed record PartitionStep(int Line, IReadOnlyList<IReadOnlyList<string>> Groups) : ScenarioStep(Line)
{
    public override string Describe() => "partition: " + string.Join(" | ", Groups.Select(g => string.Join(", ", g)));
}

/// <summary>
/// Jepsen's majorities ring: the nodes, in ring order, keep their links only to their nearest neighbours on each side,
/// as many as it takes for each to see a majority of the ring (itself included); every other link between them is cut
/// both ways. Each node sees a majority, and no two see the same one. Nodes not in the ring keep all their links.
/// </summary>
public sealed record RingStep(int Line, IReadOnlyList<string> Nodes) : ScenarioStep(Line)
{
    /// <summary>The fewest nodes that make a ring with a cut: with three, every node is the others' neighbour.</summary>
    public const int MinimumNodes = 4;

    /// <summary>How many neighbours on each side a node of a ring of <paramref name="count"/> keeps, so that it sees a majority.</summary>
    public static int Reach(int count) => ((count / 2) + 1) / 2;

    /// <summary>Whether positions <paramref name="i"/> and <paramref name="j"/> of a ring of <paramref name="count"/> stay linked.</summary>
    public static bool Linked(int i, int j, int count)
    {
        var distance = Math.Abs(i - j);
        return Math.Min(distance, count - distance) <= Reach(count);
    }

    public override string Describe() => $"ring: {string.Join(" - ", Nodes)}";
}

/// <summary>Drops packets from <see cref="From"/> to <see cref="To"/> only (an asymmetric link failure).</summary>
public sealed record OneWayStep(int Line, string From, string To) : ScenarioStep(Line)
{
    public override string Describe() => $"drop: {From} -> {To}";
}

/// <summary>Drops a random share of the packets a node receives.</summary>
public sealed record LossStep(int Line, string Target, double Probability) : ScenarioStep(Line)
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"loss: {Target} {Probability:P0}");
}

/// <summary>Deletes the node's Node object through the API (<c>kubectl delete node</c>), which frees its name and node password.</summary>
public sealed record DeleteNodeStep(int Line, string Target) : ScenarioStep(Line)
{
    public override string Describe() => $"delete-node: {Target}";
}

/// <summary>Removes every network fault and unpauses paused nodes (stopped and killed nodes stay down until started).</summary>
public sealed record HealStep(int Line) : ScenarioStep(Line)
{
    public override string Describe() => "heal";
}

/// <summary>Waits until a condition holds, failing the run when it does not within <see cref="Within"/>.</summary>
public sealed record ExpectStep(int Line, Expectation Condition, TimeSpan Within) : ScenarioStep(Line)
{
    public override string Describe() => $"expect: {Condition.Describe()} within {Format(Within)}";
}

/// <summary>
/// Adds <see cref="Servers"/> servers and <see cref="Agents"/> agents to the running cluster at once, as
/// <c>k3slab up</c> starts its joining nodes: the load balancer is given every new server once, in place,
/// then every new node's container is created together. They take the next indices (<c>server-3</c>, ...), so later
/// steps and checks name them. The step ends when their containers run; <c>expect</c> waits for Ready or voters.
/// </summary>
public sealed record JoinStep(int Line, int Servers, int Agents) : ScenarioStep(Line)
{
    public override string Describe() => $"join: {Servers} server(s), {Agents} agent(s) at once";
}

/// <summary>
/// Moves a node to another address on the lab network across a clean restart (k3d#550): stopped, its disk carried
/// over to a container of the same name at a spare address (with its <c>--node-ip</c> changed), started again.
/// A server's new address also replaces its old one in the load balancer's list.
/// </summary>
public sealed record ChangeIpStep(int Line, string Target, string? As) : ScenarioStep(Line)
{
    public override string Describe() => $"change-ip: {Target}" + (As is null ? "" : $" as {As}");
}
