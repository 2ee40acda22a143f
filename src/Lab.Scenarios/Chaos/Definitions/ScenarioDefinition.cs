using K3sLab.Lab.Datastores;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>
/// A chaos scenario as data: the cluster it needs, the steps (start load, inject faults, wait, expect, heal) and the
/// checks run over everything recorded once the steps are done. Read from YAML by <see cref="ScenarioParser"/>.
/// </summary>
/// <param name="Name">Short id, used by <c>k3slab chaos run &lt;name&gt;</c> and in report paths.</param>
/// <param name="Description">One or two sentences: what is broken and what must hold.</param>
/// <param name="Servers">How many servers (more than one runs the embedded datastore unless <see cref="ScenarioDefinition.Datastore"/> names an external one).</param>
/// <param name="Agents">How many agents.</param>
/// <param name="Steps">What to do, in order.</param>
/// <param name="Checks">Verdicts over the recorded run (histories, observations), evaluated after the steps.</param>
public sealed record ScenarioDefinition(
    string Name,
    string Description,
    int Servers,
    int Agents,
    IReadOnlyList<ScenarioStep> Steps,
    IReadOnlyList<CheckSpec> Checks)
{
    /// <summary>Real user reports this scenario reproduces (e.g. <c>k3s#10942</c>).</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>Where the definition came from (a library name or a file path), for messages.</summary>
    public string Source { get; init; } = "";

    /// <summary>Where the servers keep their state (<c>cluster: {datastore: etcd}</c>); by default SQLite for one server, embedded for more.</summary>
    public LabDatastore Datastore { get; init; } = LabDatastore.Auto;

    /// <summary>
    /// Whether the k3s nodes' data dirs are lossy disks (<c>cluster: {disk: lossy}</c>), so that <c>kill</c> also drops
    /// every write not yet fsynced; otherwise the host's page cache keeps them.
    /// </summary>
    public bool LossyDisks { get; init; }

    /// <summary>Whether the datastore has members with terms and leaders to observe (embedded or etcd).</summary>
    public bool Replicated => Datastore.IsReplicated(Servers);
}

/// <summary>A check to run after the steps, with its parameters (e.g. <c>max: 10s</c>).</summary>
/// <param name="Kind">Which check.</param>
/// <param name="Nodes">Node references the check is about, where it takes any.</param>
/// <param name="Limit">A time bound, where the check takes one.</param>
public sealed record CheckSpec(CheckKind Kind, IReadOnlyList<string> Nodes, TimeSpan? Limit)
{
    /// <summary>The check's line in the YAML file (0 when built in C#).</summary>
    public int Line { get; init; }

    /// <summary>The YAML spelling of each kind.</summary>
    public static readonly IReadOnlyDictionary<string, CheckKind> Names = new Dictionary<string, CheckKind>(StringComparer.Ordinal)
    {
        ["linearizable"] = CheckKind.Linearizable,
        ["no-lost-writes"] = CheckKind.NoLostWrites,
        ["one-leader-per-term"] = CheckKind.OneLeaderPerTerm,
        ["converged"] = CheckKind.Converged,
        ["nodes-stayed-ready"] = CheckKind.NodesStayedReady,
        ["write-gap"] = CheckKind.WriteGap,
        ["watch-guarantees"] = CheckKind.WatchGuarantees,
        ["no-restarts"] = CheckKind.NoRestarts,
        ["agent-failover"] = CheckKind.AgentFailover,
        ["service-outage"] = CheckKind.ServiceOutage,
    };

    /// <inheritdoc />
    public override string ToString() => Names.First(n => n.Value == Kind).Key
        + (Nodes.Count > 0 ? $" [{string.Join(", ", Nodes)}]" : "")
        + (Limit is { } limit ? $" ≤ {limit.TotalSeconds:0.###} s" : "");
}

/// <summary>The checks a scenario can ask for.</summary>
public enum CheckKind
{
    /// <summary>The register workload's history is linearizable (per key, against a revisioned register).</summary>
    Linearizable,
    /// <summary>Every acknowledged ledger write exists after the run.</summary>
    NoLostWrites,
    /// <summary>No two members ever named different leaders for the same term.</summary>
    OneLeaderPerTerm,
    /// <summary>After the run every datastore member has the same revision and the same HashKV.</summary>
    Converged,
    /// <summary>The named nodes never reported Ready other than True while the run was observed.</summary>
    NodesStayedReady,
    /// <summary>No gap between successful workload writes is longer than the limit.</summary>
    WriteGap,
    /// <summary>Every watcher's stream, across its resumes, keeps the six watch guarantees.</summary>
    WatchGuarantees,
    /// <summary>The named nodes' containers never restarted during the run (their k3s kept running through the faults).</summary>
    NoRestarts,
    /// <summary>Every agent's load balancer moved to another server within the limit after its active server went down.</summary>
    AgentFailover,
    /// <summary>
    /// The Service probe's calls failed only within the limit after a fault or a heal, no stretch without a
    /// successful call lasted longer than the limit, and the last call succeeded.
    /// </summary>
    ServiceOutage,
}
