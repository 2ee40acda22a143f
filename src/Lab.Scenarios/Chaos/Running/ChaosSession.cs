using System.Globalization;
using System.Text;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Reports;
using Microsoft.Extensions.Logging;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>What <see cref="ChaosSession"/> is asked to do.</summary>
/// <param name="Repeats">How many runs.</param>
/// <param name="Seed">The first run's seed; run i uses Seed + i (workload randomness).</param>
/// <param name="Output">The report folder; each run writes <c>&lt;scenario&gt;/run-&lt;i&gt;/</c> under it.</param>
/// <param name="Cluster">An existing lab cluster to run on; null creates one (and deletes it afterwards).</param>
/// <param name="PlantedBug">A test-only runtime bug to switch on in every server and agent (<c>K3SLAB_TEST_PLANTED_BUG</c>), to show a check catches it; null for none.</param>
public sealed record ChaosSessionOptions(int Repeats, int Seed, string Output, string? Cluster, string? PlantedBug = null)
{
    /// <summary>The name prefix of a cluster the session creates: <c>&lt;prefix&gt;&lt;6 hex&gt;</c>.</summary>
    public string ClusterPrefix { get; init; } = "chaos";

    /// <summary>
    /// Ends the session at the first failed run instead of running every repeat: a hunt for a rare failure wants the
    /// first occurrence, its reports and node logs, not the time the remaining repeats would take.
    /// </summary>
    public bool StopOnFailure { get; init; }

    /// <summary>
    /// How long each run waits after healing for every node to be Ready and the datastore whole again. A run whose
    /// cluster is known not to come back (a planted bug that loses the cluster's data) can say so sooner.
    /// </summary>
    public TimeSpan RecoveryTimeout { get; init; } = ScenarioRunner.DefaultRecoveryTimeout;
}

/// <summary>
/// Runs a scenario several times and writes every run's reports plus a summary of all of them (pass count, time per
/// run, failover and recovery figures) and one JUnit file. Without an existing cluster it creates one shaped as the
/// scenario asks and reuses it across repeats; a run after which the cluster did not recover gets a fresh one, and so
/// does every run of a scenario that adds nodes (<c>join</c>), which leaves the cluster larger than it found it.
/// </summary>
public sealed partial class ChaosSession(ILogger logger)
{
    public async Task<IReadOnlyList<ChaosRunResult>> RunAsync(ScenarioDefinition scenario, ChaosSessionOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RecoveryTimeout, TimeSpan.Zero, nameof(options.RecoveryTimeout));
        var results = new List<ChaosRunResult>();
        var folder = Path.Combine(options.Output, scenario.Name);
        RunningCluster? owned = null;
        var stoppedEarly = false;
        var addsNodes = scenario.Steps.Any(step => step is JoinStep);
        if (addsNodes && options.Cluster is not null && options.Repeats > 1)
        {
            throw new ChaosRunException($"{scenario.Name} adds nodes to the cluster, so a second run would start from a larger cluster than the first: repeat it without --cluster (each run then gets a fresh cluster), or run it once on {options.Cluster}");
        }

        using var docker = options.Cluster is null ? null : DockerEngine.CreateClient();
        try
        {
            for (var i = 0; i < options.Repeats; i++)
            {
                LabCluster cluster;
                INodeProvider provider;
                if (options.Cluster is { } existing)
                {
                    if (options.PlantedBug is not null)
                    {
                        throw new ChaosRunException("a planted bug is switched on when the cluster is created: leave out --cluster");
                    }

                    (cluster, provider) = await ExistingAsync(new DockerProvider(docker!), existing, cancellationToken);
                }
                else
                {
                    owned ??= await new K3sLabClusterBuilder().WithName($"{options.ClusterPrefix}{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])}")
                        .WithServers(scenario.Servers).WithAgents(scenario.Agents).WithDatastore(scenario.Datastore).WithLossyDisks(scenario.LossyDisks).WithLogger(logger)
                        .WithNodeEnvironment(options.PlantedBug is { } bug ? new Dictionary<string, string> { ["K3SLAB_TEST_PLANTED_BUG"] = bug } : new Dictionary<string, string>())
                        .BuildAndStartAsync(cancellationToken);
                    (cluster, provider) = (owned.Info, owned.Provider);
                }

                var result = await new ScenarioRunner(cluster, provider, logger) { RecoveryTimeout = options.RecoveryTimeout }.RunAsync(scenario, options.Seed + i, i + 1, cancellationToken);
                results.Add(result);
                var runFolder = Path.Combine(folder, $"run-{i + 1}");
                await RunReports.WriteAsync(result, runFolder, cancellationToken);
                if (!result.Passed)
                {
                    await SaveLogsAsync(provider, cluster.Name, runFolder, cancellationToken);
                }

                if ((result.Error is not null || addsNodes) && owned is not null)
                {
                    // A cluster that did not recover, or that the run grew, is not reused. The next repeat gets a fresh
                    // one whether or not this one can be removed.
                    var spent = owned;
                    owned = null;
                    await RemoveAsync(spent);
                }

                if (!result.Passed && options.StopOnFailure && i + 1 < options.Repeats)
                {
                    stoppedEarly = true;
                    break;
                }
            }
        }
        finally
        {
            if (results.Count > 0)
            {
                Directory.CreateDirectory(folder);
                await File.WriteAllTextAsync(Path.Combine(folder, "summary.md"), Summary(scenario, results, stoppedEarly ? options.Repeats : null), CancellationToken.None);
                await File.WriteAllTextAsync(Path.Combine(folder, "junit.xml"), RunReports.JUnit(results).ToString(), CancellationToken.None);
            }

            if (owned is not null)
            {
                await RemoveAsync(owned);
            }
        }

        return results;
    }

    /// <summary>Keeps the nodes' output with a failed run's reports; a failure to list the nodes is logged, never thrown.</summary>
    private async Task SaveLogsAsync(INodeProvider provider, string cluster, string runFolder, CancellationToken cancellationToken)
    {
        try
        {
            await NodeLogs.SaveAsync(provider, cluster, runFolder, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.LogsNotSaved(logger, cluster, e.Message);
        }
    }

    /// <summary>Removes a cluster this session created; a failure (Docker not answering) is logged, never thrown, so the reports are kept.</summary>
    private async Task RemoveAsync(RunningCluster cluster)
    {
        try
        {
            await cluster.DisposeAsync();
        }
        catch (Exception e)
        {
            Log.RemoveFailed(logger, cluster.Name, e.Message);
        }
    }

    /// <summary>
    /// A summary of all runs: verdicts, time per run, and the widest write gap (the failover time) per run with its
    /// distribution. <paramref name="stoppedOf"/> is the number of runs asked when the session stopped at a failure
    /// before making them all, which the summary then says.
    /// </summary>
    public static string Summary(ScenarioDefinition scenario, IReadOnlyList<ChaosRunResult> results, int? stoppedOf = null)
    {
        var md = new StringBuilder();
        var passed = results.Count(r => r.Passed);
        md.AppendLine(CultureInfo.InvariantCulture, $"# {scenario.Name}: {passed}/{results.Count} runs passed");
        md.AppendLine().AppendLine(scenario.Description).AppendLine();
        if (stoppedOf is { } asked)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Stopped at the first failure: run {results.Count} of the {asked} asked (stop on failure).").AppendLine();
        }

        var gaps = results.Select(r => Checks.WriteGapCheck.WidestGap(r.Record.Operations).Gap.TotalSeconds).Order().ToList();
        var durations = results.Select(r => r.Duration.TotalSeconds).Order().ToList();
        md.AppendLine(CultureInfo.InvariantCulture, $"Time per run: median {Median(durations):0.0} s, max {durations[^1]:0.0} s. Widest write gap (failover) per run: median {Median(gaps):0.00} s, max {gaps[^1]:0.00} s, min {gaps[0]:0.00} s.");
        md.AppendLine().AppendLine("| run | seed | verdict | duration (s) | widest write gap (s) | failed |").AppendLine("|---:|---:|---|---:|---:|---|");
        foreach (var r in results)
        {
            var failed = string.Join("; ", r.Checks.Where(c => !c.Passed).Select(c => c.Name).Concat(r.Steps.Where(s => !s.Passed).Select(s => $"step {s.Index + 1}")).Concat(r.Error is null ? [] : ["recovery"]));
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Repeat} | {r.Seed} | {(r.Passed ? "pass" : "**FAIL**")} | {r.Duration.TotalSeconds:0.0} | {Checks.WriteGapCheck.WidestGap(r.Record.Operations).Gap.TotalSeconds:0.00} | {failed} |");
        }

        AppendExpectationTimes(md, results);
        return md.ToString();
    }

    /// <summary>
    /// How long each expectation took to hold, over the runs where it held: the failover and recovery times (a new
    /// leader agreed, writes back, every voter back, every node Ready).
    /// </summary>
    private static void AppendExpectationTimes(StringBuilder md, IReadOnlyList<ChaosRunResult> results)
    {
        var expectations = results.SelectMany(r => r.Steps)
            .Where(s => s.Passed && s.Step.StartsWith("expect", StringComparison.Ordinal))
            .GroupBy(s => (s.Index, s.Step))
            .OrderBy(g => g.Key.Index)
            .ToList();
        if (expectations.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("Time for each expectation to hold (failover and recovery times), over the runs where it held:").AppendLine();
        md.AppendLine("| step | expectation | runs | min (s) | median (s) | p90 (s) | max (s) |").AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var group in expectations)
        {
            var times = group.Select(s => s.End - s.Start).Order().ToList();
            md.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Index + 1} | {group.Key.Step} | {times.Count} | {times[0]:0.00} | {Median(times):0.00} | {times[(int)Math.Min(times.Count - 1, Math.Ceiling(times.Count * 0.9) - 1)]:0.00} | {times[^1]:0.00} |");
        }
    }

    private static double Median(List<double> sorted) => sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];

    private static async Task<(LabCluster, INodeProvider)> ExistingAsync(DockerProvider provider, string name, CancellationToken cancellationToken)
    {
        var nodes = await provider.ListNodesAsync(name, cancellationToken);
        var kubeconfig = ClusterKubeconfig.PathFor(name);
        if (nodes.Count == 0 || !File.Exists(kubeconfig))
        {
            throw new ChaosRunException($"no lab cluster '{name}' (or no kubeconfig at {kubeconfig}); create one with 'k3slab up --name {name}' or leave out --cluster");
        }

        return (new LabCluster(name, new Uri("https://127.0.0.1/"), kubeconfig, "", nodes, TimeSpan.Zero), provider);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9203, Level = LogLevel.Warning, Message = "could not remove cluster {Cluster}: {Reason}; remove it with 'k3slab down --name {Cluster}'")]
        public static partial void RemoveFailed(ILogger logger, string cluster, string reason);

        [LoggerMessage(EventId = 9204, Level = LogLevel.Warning, Message = "could not keep the node logs of cluster {Cluster} with the failed run's reports: {Reason}")]
        public static partial void LogsNotSaved(ILogger logger, string cluster, string reason);
    }
}
