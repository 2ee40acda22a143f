using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
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
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(180);

    public async Task<ChaosRunResult> RunAsync(ScenarioDefinition scenario, int seed, int repeat, CancellationToken cancellationToken)
    {
        var nodes = new ChaosNodes(cluster);
        CheckReferences(scenario, nodes);
        var record = new RunRecord(new RunClock());
        var etcdctl = new Etcdctl(provider);
        using var endpoints = new ApiEndpoints(nodes);
        var state = new RunState(nodes, record, endpoints, new FaultInjector(provider), etcdctl, scenario.Replicated ? new DatastoreObserver(nodes, etcdctl, record) : null);
        await using var readiness = new ReadinessObserver(endpoints.For("lb"), nodes, record);
        state.Readiness = readiness;
        await using var workload = new RegisterWorkload(endpoints, record, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]));
        await using var watchers = new WatchWorkload(endpoints, record);
        state.Workload = workload;
        state.Watchers = watchers;
        var watched = WatchedForRestarts(scenario, nodes);
        foreach (var node in watched)
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

            var digests = scenario.Checks.Any(c => c.Kind == CheckKind.Converged) ? await DigestsAsync(state, etcdctl, cancellationToken) : [];
            if (state.Datastore is not null)
            {
                await state.Datastore.DisposeAsync();
            }

            await readiness.DisposeAsync();
            var ended = new Dictionary<string, NodeRuntime?>(StringComparer.Ordinal);
            foreach (var node in watched)
            {
                ended[node] = await InspectOrNullAsync(nodes[node], cancellationToken);
            }

            checks.AddRange(scenario.Checks.Select(c => Check(c, record, ledger, digests, state, history, ended)));
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

    private static CheckResult Check(CheckSpec spec, RunRecord record, IReadOnlySet<string>? ledger, IReadOnlyList<MemberDigest> digests, RunState state, IReadOnlyList<Checkers.WatchEvent>? history, IReadOnlyDictionary<string, NodeRuntime?> ended) => spec.Kind switch
    {
        CheckKind.NoRestarts => NoRestartsCheck.Run(state.StartedWith, ended, [.. spec.Nodes.Select(n => state.Nodes.ResolveStatic(n) ?? n)]),
        CheckKind.WatchGuarantees => WatchGuaranteesCheck.Run(history, state.Watchers!.Streams),
        CheckKind.Linearizable => LinearizableCheck.Run(record.Operations),
        CheckKind.NoLostWrites => NoLostWritesCheck.Run(record.Operations, ledger),
        CheckKind.OneLeaderPerTerm => OneLeaderPerTermCheck.Run(record.Members),
        CheckKind.Converged => ConvergedCheck.Run(digests),
        CheckKind.NodesStayedReady => NodesStayedReadyCheck.Run(record.Readiness, [.. spec.Nodes.Select(n => state.Nodes.ResolveStatic(n) ?? n)]),
        CheckKind.WriteGap => WriteGapCheck.Run(record.Operations, spec.Limit!.Value),
        _ => throw new ChaosRunException($"check {spec.Kind} is not implemented"),
    };

    /// <summary>The nodes a <c>no-restarts</c> check names, resolved; only node names are allowed there.</summary>
    private static IReadOnlyList<string> WatchedForRestarts(ScenarioDefinition scenario, ChaosNodes nodes) =>
        [.. scenario.Checks.Where(c => c.Kind == CheckKind.NoRestarts).SelectMany(c => c.Nodes).Select(n => nodes.ResolveStatic(n)
            ?? throw new ScenarioFormatException($"{scenario.Source}: no-restarts names nodes, and '{n}' is none of {string.Join(", ", nodes.Names)}")).Distinct()];

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

    /// <summary>
    /// Every node reference must name a node, a dynamic reference, or a name bound by an earlier step; requests go to
    /// servers or the balancer only; and the cluster must run the datastore the scenario asks for.
    /// </summary>
    internal static void CheckReferences(ScenarioDefinition scenario, ChaosNodes nodes)
    {
        var wanted = scenario.Datastore.Resolve(scenario.Servers);
        var external = nodes.ExternalDatastore;
        if ((wanted.IsExternal() || external is not null) && wanted != external)
        {
            throw new ScenarioFormatException($"{scenario.Source}: the scenario asks for datastore {LabDatastores.Word(wanted)}, and cluster '{nodes.Cluster.Name}' runs {(external is { } e ? LabDatastores.Word(e) : "none outside its servers")}");
        }

        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in scenario.Steps)
        {
            foreach (var reference in TopologyRules.References(step).Where(r => !nodes.IsKnown(r, bound)))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: no node '{reference}' in a cluster of {scenario.Servers} servers and {scenario.Agents} agents (nodes: {string.Join(", ", nodes.Names)}; also leader, follower, and names bound earlier with 'as')");
            }

            foreach (var reference in TopologyRules.ApiReferences(step).Where(r => !nodes.ServesApi(r)))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: '{reference}' serves no Kubernetes API; requests and readyz go to a server or lb");
            }

            if (step is NodeStep { Action: NodeAction.Reimage } reimage && (nodes.ResolveStatic(reimage.Target) is { } target ? nodes[target].Role == NodeRole.Etcd : nodes.ExternalDatastore == LabDatastore.Etcd && reimage.Target is "leader" or "follower"))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: an etcd member cannot be re-imaged: with an empty data dir it cannot rejoin its cluster (that takes etcdctl member remove and add); kill, stop or isolate it instead");
            }

            if (((step as NodeStep)?.As ?? (step as IsolateStep)?.As) is { } name)
            {
                bound.Add(name);
            }
        }
    }
}
