using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Observers;
using K3sLab.Scenarios.Chaos.Workloads;
using K3sLab.Scenarios.Faults;
using Microsoft.Extensions.Logging;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>
/// Runs one scenario against a running lab cluster: starts the observers, executes the steps in order (a failed
/// step ends the step list), then always heals what it injected (network faults flushed, paused nodes thawed,
/// stopped and killed nodes started), waits for the cluster to be whole again, reads the final state and runs the
/// checks. It never throws for a scenario failure: the result says what failed and why.
/// </summary>
public sealed partial class ScenarioRunner(LabCluster cluster, INodeProvider provider, ILogger logger)
{
    /// <summary>How long a run waits, after healing, for every node to be Ready and the datastore whole again.</summary>
    public static readonly TimeSpan DefaultRecoveryTimeout = TimeSpan.FromSeconds(180);

    // How long an agent-N.active reference waits for the agent's balancer to have an ACTIVE server, and how often it
    // reads the agent's log meanwhile. Five health-check rounds of the balancer's 2 s.
    private static readonly TimeSpan ActiveWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ActivePoll = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the run waits after healing for the cluster to be whole again before it reports it did not recover.</summary>
    public TimeSpan RecoveryTimeout { get; init; } = DefaultRecoveryTimeout;

    public async Task<ChaosRunResult> RunAsync(ScenarioDefinition scenario, int seed, int repeat, CancellationToken cancellationToken)
    {
        var nodes = new ChaosNodes(cluster);
        var joined = CheckReferences(scenario, nodes);
        var record = new RunRecord(new RunClock());
        var etcdctl = new Etcdctl(provider);
        using var endpoints = new ApiEndpoints(nodes);
        var state = new RunState(nodes, record, endpoints, new FaultInjector(provider), etcdctl, scenario.Replicated ? new DatastoreObserver(nodes, etcdctl, record) : null);
        await using var readiness = new ReadinessObserver(endpoints.For("lb"), nodes, record);
        state.Readiness = readiness;
        await using var workload = new RegisterWorkload(endpoints, record, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]));
        await using var watchers = new WatchWorkload(endpoints, record);
        await using var store = new Workloads.Store.StoreWorkload(record, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]));
        await using var serviceProbe = new ServiceProbeWorkload(endpoints, nodes, record, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]));
        state.Workload = workload;
        state.Watchers = watchers;
        state.ServiceProbe = serviceProbe;
        state.Store = store;
        state.ResolveActive = (agent, ct) => ActiveServerAsync(nodes, record, agent, ct);
        var watched = WatchedForRestarts(scenario, nodes, joined);
        foreach (var node in watched.Where(n => !joined.ContainsKey(n)))
        {
            state.StartedWith[node] = await provider.InspectAsync(nodes[node], cancellationToken);
        }

        readiness.Start();
        state.Datastore?.Start();
        record.Event("note", $"run of {scenario.Name} on cluster {cluster.Name} (seed {seed})");

        var steps = new List<StepResult>();
        string? error = null;
        for (var i = 0; i < scenario.Steps.Count && error is null; i++)
        {
            var step = scenario.Steps[i];
            var start = record.Clock.Seconds;
            record.Event("step", step.Describe());
            Log.Step(logger, i + 1, step.Describe());
            try
            {
                await RunStepAsync(step, state, seed, cancellationToken);
                steps.Add(new StepResult(i, step.Describe(), start, record.Clock.Seconds, true, null));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                steps.Add(new StepResult(i, step.Describe(), start, record.Clock.Seconds, false, "interrupted"));
                break;
            }
            catch (Exception e)
            {
                var message = e switch
                {
                    ChaosRunException or FaultInjectionException or ExpectationFailedException => e.Message,
                    OperationCanceledException => $"timed out: a Docker or Kubernetes API call did not answer in time ({e.GetType().Name}: {e.Message})",
                    _ => $"{e.GetType().Name}: {e.Message} (a bug in the runner: {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()})",
                };
                steps.Add(new StepResult(i, step.Describe(), start, record.Clock.Seconds, false, message));
                record.Event("note", $"step {i + 1} failed: {message}");
                Log.StepFailed(logger, i + 1, message);
                break;
            }
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // Interrupted: still undo every fault injected, then give up without checks.
            await HealEverythingAsync(state, CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var checks = new List<CheckResult>();
        try
        {
            await HealEverythingAsync(state, CancellationToken.None);
            var whole = await WaitWholeAsync(state, readiness, cancellationToken);
            if (workload.Started)
            {
                await workload.StopAsync();
                await workload.FinalReadsAsync("lb", TimeSpan.FromSeconds(60), cancellationToken);
            }

            var ledger = workload.Started ? await workload.LedgerAsync(cancellationToken) : null;
            IReadOnlyList<Checkers.WatchEvent>? history = null;
            if (watchers.Started)
            {
                await watchers.StopAsync();
                history = await watchers.HistoryAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }

            IReadOnlyList<Checkers.WatchEvent>? storeHistory = null;
            if (store.Started)
            {
                await store.StopAsync();
                await store.FinalReadsAsync(nodes.Servers[0], TimeSpan.FromSeconds(60), cancellationToken);
                storeHistory = await store.HistoryAsync(nodes.Servers[0], TimeSpan.FromSeconds(60), cancellationToken);
            }

            // After the heal and the wait, the client pod's output is read through the balancer like any request.
            var probed = serviceProbe.Started ? await serviceProbe.ResultsAsync(TimeSpan.FromSeconds(60), cancellationToken) : null;
            state.StoreEndpoints?.Dispose();
            var digests = scenario.Checks.Any(c => c.Kind == CheckKind.Converged) ? await DigestsAsync(state, etcdctl, cancellationToken) : [];
            if (state.Datastore is not null)
            {
                await state.Datastore.DisposeAsync();
            }

            await readiness.DisposeAsync();
            var ended = new Dictionary<string, NodeRuntime?>(StringComparer.Ordinal);
            foreach (var node in watched)
            {
                // A node of a join that never ran was never created: not inspected at the end, so the check says so.
                ended[node] = nodes.ResolveStatic(node) is null ? null : await InspectOrNullAsync(nodes[node], cancellationToken);
            }

            var agentLogs = new Dictionary<string, string>(StringComparer.Ordinal);
            if (scenario.Checks.Any(c => c.Kind == CheckKind.AgentFailover))
            {
                foreach (var agent in nodes.Names.Where(n => nodes[n].Role == Lab.Providers.NodeRole.Agent))
                {
                    agentLogs[agent] = await provider.LogsAsync(nodes[agent], cancellationToken);
                }
            }

            state.AgentLogs = agentLogs;
            state.ServiceProbeResult = probed;
            checks.AddRange(scenario.Checks.Select(c => Check(c, record, ledger, digests, state, history, ended, storeHistory)));
            if (whole is not null)
            {
                error = whole;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = $"after the steps: {e.Message}";
        }

        var result = new ChaosRunResult(scenario, seed, repeat, cluster.Name, record.Clock.StartedAt, record.Clock.Elapsed, steps, checks, record, error);
        Log.Verdict(logger, result.Verdict);
        return result;
    }

    /// <summary>
    /// The server <paramref name="agent"/>'s load balancer has ACTIVE now, read from the agent's own log. A balancer
    /// can be between servers for a moment (a health check that ran out of time on a busy host fails the active
    /// server, and the next one is ACTIVE only when a client dials again, or when a RECOVERING server with connections
    /// passes its next check), so the log is read again for up to <see cref="ActiveWait"/> before the step fails, and
    /// a wait is noted on the timeline.
    /// </summary>
    private async Task<string> ActiveServerAsync(ChaosNodes nodes, RunRecord record, string agent, CancellationToken cancellationToken)
    {
        var started = record.Clock.Seconds;
        while (true)
        {
            var transitions = AgentFailoverCheck.Transitions(await provider.LogsAsync(nodes[agent], cancellationToken));
            var now = DateTimeOffset.UtcNow;
            if (AgentFailoverCheck.ActiveAt(transitions, now) is { } address)
            {
                var waited = record.Clock.Seconds - started;
                if (waited >= ActivePoll.TotalSeconds)
                {
                    record.Event("note", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{agent}.active: waited {waited:0.00} s for {agent}'s load balancer to have an ACTIVE server ({address})"));
                }

                return nodes.Servers.FirstOrDefault(s => $"{nodes[s].Address}:6443" == address)
                    ?? throw new ChaosRunException($"{agent}.active: {agent}'s load balancer has {address} ACTIVE, which is no server of the cluster");
            }

            if (record.Clock.Seconds - started >= ActiveWait.TotalSeconds)
            {
                throw new ChaosRunException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{agent}.active: {agent}'s load balancer had no ACTIVE server in its log for {ActiveWait.TotalSeconds:0} s; its servers then: {AgentFailoverCheck.DescribeStates(transitions, now)}"));
            }

            await Task.Delay(ActivePoll, cancellationToken);
        }
    }

    private static CheckResult Check(CheckSpec spec, RunRecord record, IReadOnlySet<string>? ledger, IReadOnlyList<MemberDigest> digests, RunState state, IReadOnlyList<Checkers.WatchEvent>? history, IReadOnlyDictionary<string, NodeRuntime?> ended, IReadOnlyList<Checkers.WatchEvent>? storeHistory) => spec.Kind switch
    {
        CheckKind.NoRestarts => NoRestartsCheck.Run(state.StartedWith, ended, [.. spec.Nodes.Select(n => state.Nodes.ResolveStatic(n) ?? n)]),
        CheckKind.AgentFailover => AgentFailoverCheck.Run(
            record.Timeline,
            record.Clock.StartedAt,
            state.AgentLogs,
            state.Nodes.Servers.ToDictionary(s => s, s => $"{state.Nodes[s].Address}:6443", StringComparer.Ordinal),
            spec.Limit!.Value),
        CheckKind.WatchGuarantees => WatchGuaranteesCheck.Run(
            state.Watchers!.Started || state.Store is not { Started: true } ? (history, state.Watchers.Streams) : null,
            state.Store is { Started: true } s && s.Streams.Count > 0 ? (storeHistory, s.Streams) : null),
        CheckKind.Linearizable => LinearizableCheck.Run(record.Operations),
        CheckKind.NoLostWrites => NoLostWritesCheck.Run(record.Operations, ledger),
        CheckKind.OneLeaderPerTerm => OneLeaderPerTermCheck.Run(record.Members),
        CheckKind.Converged => ConvergedCheck.Run(digests),
        CheckKind.NodesStayedReady => NodesStayedReadyCheck.Run(record.Readiness, [.. spec.Nodes.Select(n => state.Nodes.ResolveStatic(n) ?? n)]),
        CheckKind.WriteGap => WriteGapCheck.Run(record.Operations, spec.Limit!.Value),
        CheckKind.ServiceOutage => ServiceOutageCheck.Run(state.ServiceProbeResult, record.Timeline, spec.Limit!.Value),
        _ => throw new ChaosRunException($"check {spec.Kind} is not implemented"),
    };

    private async Task<NodeRuntime?> InspectOrNullAsync(LabNode node, CancellationToken cancellationToken)
    {
        try
        {
            return await provider.InspectAsync(node, cancellationToken);
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            return null;
        }
    }
}
