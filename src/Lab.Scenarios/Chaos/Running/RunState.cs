using K3sLab.Scenarios.Chaos.Observers;
using K3sLab.Scenarios.Chaos.Workloads;
using K3sLab.Scenarios.Faults;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>What a run holds while its steps execute: the parts it drives and the faults it has injected so far.</summary>
internal sealed class RunState(ChaosNodes nodes, RunRecord record, ApiEndpoints endpoints, FaultInjector faults, Etcdctl etcdctl, DatastoreObserver? datastore)
{
    public Etcdctl Etcdctl { get; } = etcdctl;

    public ReadinessObserver? Readiness { get; set; }

    public ChaosNodes Nodes { get; } = nodes;

    public RunRecord Record { get; } = record;

    public ApiEndpoints Endpoints { get; } = endpoints;

    public FaultInjector Faults { get; } = faults;

    public DatastoreObserver? Datastore { get; } = datastore;

    public RegisterWorkload? Workload { get; set; }

    public WatchWorkload? Watchers { get; set; }

    /// <summary>The Service probe, started by a <c>service-probe</c> step.</summary>
    public ServiceProbeWorkload? ServiceProbe { get; set; }

    /// <summary>Each agent's container log at the end of the run, for <c>agent-failover</c>.</summary>
    internal IReadOnlyDictionary<string, string> AgentLogs { get; set; } = new Dictionary<string, string>();

    /// <summary>The Service probe's calls, read after the heal, for <c>service-outage</c>.</summary>
    internal ServiceProbeResult? ServiceProbeResult { get; set; }

    /// <summary>The etcd-API workload, created by the first <c>store-load</c> step.</summary>
    internal Workloads.Store.StoreWorkload? Store { get; set; }

    /// <summary>The channels the store workload uses (owned by the run).</summary>
    internal Workloads.Store.StoreEndpoints? StoreEndpoints { get; set; }

    /// <summary>Nodes with network fault rules in place.</summary>
    public HashSet<string> Partitioned { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes the run paused.</summary>
    public HashSet<string> Paused { get; } = new(StringComparer.Ordinal);

    /// <summary>Each node's container start time and restart count when the run began, for <c>no-restarts</c>.</summary>
    public Dictionary<string, Lab.Providers.NodeRuntime> StartedWith { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes the run stopped or killed and has not started again.</summary>
    public HashSet<string> Down { get; } = new(StringComparer.Ordinal);

    /// <summary>The current leader's short name, for the <c>leader</c> and <c>follower</c> references.</summary>
    public Task<string?> LeaderAsync(CancellationToken cancellationToken) =>
        Datastore?.CurrentLeaderAsync(cancellationToken) ?? throw new ChaosRunException("'leader' and 'follower' need datastore members: the embedded store of more than one server, or datastore: etcd");

    public Task<string> ResolveAsync(string reference, CancellationToken cancellationToken) =>
        ChaosNodes.ActiveOf(reference) is { } agent && ResolveActive is { } active
            ? active(agent, cancellationToken)
            : Nodes.ResolveAsync(reference, AgreedLeaderAsync, cancellationToken, new HashSet<string>(Down.Concat(Paused), StringComparer.Ordinal));

    /// <summary>How long a <c>leader</c> or <c>follower</c> reference waits for the members to agree on a leader.</summary>
    internal static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The leader a step's <c>leader</c> or <c>follower</c> reference means: the agreed one, read again every 250 ms
    /// for up to <see cref="LeaderWait"/> while the members are between leaders (an election nobody asked for, on a
    /// loaded host, used to fail the step when it came at that moment). A wait is noted on the timeline.
    /// </summary>
    private async Task<string?> AgreedLeaderAsync(CancellationToken cancellationToken)
    {
        var started = Record.Clock.Seconds;
        while (true)
        {
            var leader = await LeaderAsync(cancellationToken);
            var waited = Record.Clock.Seconds - started;
            if (leader is not null)
            {
                if (waited >= 0.25)
                {
                    Record.Event("note", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"waited {waited:0.00} s for the members to agree on a leader ({leader})"));
                }

                return leader;
            }

            if (waited >= LeaderWait.TotalSeconds)
            {
                return null;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Resolves <c>agent-N.active</c>: the server that agent's load balancer has ACTIVE now (from its log).</summary>
    internal Func<string, CancellationToken, Task<string>>? ResolveActive { get; set; }
}

/// <summary>An expectation did not hold in time; the message says what was seen instead.</summary>
public sealed class ExpectationFailedException(string message) : Exception(message);
