using System.Diagnostics;
using System.Globalization;
using K3sLab.Lab;

namespace K3sLab.Perf.Api;

/// <summary>
/// The API server benchmarks of issue 5 against one <c>k3s server --disable-agent</c> on SQLite (the phases are in
/// <see cref="ApiPhases"/>). Writes <c>api.md</c> and <c>api.json</c>. Exit 1 when a request fails or goes unsent, a
/// watch event is lost, repeated or reordered, a threshold of <see cref="ApiSuiteOptions.Thresholds"/> fails, or the
/// server cannot be driven at all; with <c>gate</c> also when a
/// speed goal is missed. Without it, missed goals are reported only.
/// </summary>
internal static class ApiSuite
{
    public static async Task<int> RunAsync(string outputDirectory, ApiSuiteOptions options, bool gate, CancellationToken ct, string? cluster = null)
    {
        if (cluster is not null)
        {
            return await RunOnClusterAsync(outputDirectory, options, gate, cluster, ct);
        }

        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        var figures = new ApiFigures { LoadAtStart = ApiFigures.LoadAverage() };
        var clock = Stopwatch.StartNew();
        ApiServerProcess? server = null;
        try
        {
            server = await ApiServerProcess.StartAsync(k3s, ct);
            figures.ServerStartSeconds = clock.Elapsed.TotalSeconds;
            figures.ServerIdleRssMiB = server.RssMiB();
            ApiPhases.Progress($"k3s server ready on port {server.Port} in {figures.ServerStartSeconds:0.0} s, {figures.ServerIdleRssMiB:0} MiB RSS");
            await ApiPhases.MeasureAsync(server, options, figures, ct);
            figures.ServerFinalRssMiB = server.RssMiB();
            figures.LoadAtEnd = ApiFigures.LoadAverage();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: the api suite could not drive the server: {e.Message}");
            if (server is not null)
            {
                await Console.Error.WriteLineAsync($"the server's last lines:\n{server.Log()}");
            }

            return 1;
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        return await ReportAsync(outputDirectory, options, figures, gate, $"One `k3s server --disable-agent` (SQLite) on loopback, started in {figures.ServerStartSeconds:0.0} s, {figures.ServerIdleRssMiB:0} MiB RSS when ready; runtime `{k3s}`", clock, ct);
    }

    /// <summary>
    /// The same phases against a running lab cluster (<c>--cluster NAME</c>) through its load balancer; partial figures
    /// are still written when the cluster stops answering mid-run. The run's namespaces are deleted at the end.
    /// </summary>
    private static async Task<int> RunOnClusterAsync(string outputDirectory, ApiSuiteOptions options, bool gate, string name, CancellationToken ct)
    {
        var figures = new ApiFigures { LoadAtStart = ApiFigures.LoadAverage() };
        var clock = Stopwatch.StartNew();
        ClusterTarget target;
        try
        {
            target = await ClusterTarget.OpenAsync(name, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or k8s.Exceptions.KubeConfigException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        figures.ServerIdleRssMiB = target.RssMiB();
        var description = $"Lab cluster `{name}` ({target.Servers} server container(s)) through its load balancer at {target.BaseAddress}; server CPU and RSS are all its server containers' together, from their cgroups";
        ApiPhases.Progress($"lab cluster {name}: {target.Servers} server(s) at {target.BaseAddress}, {figures.ServerIdleRssMiB:0} MiB in its servers");
        var failed = false;
        try
        {
            await ApiPhases.MeasureAsync(target, options, figures, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: the api suite could not drive lab cluster '{name}' at {target.BaseAddress}: {e.Message}; the phases measured so far are written");
            failed = true;
        }
        finally
        {
            await ApiPhases.DeleteNamespacesAsync(target, options, CancellationToken.None);
        }

        figures.ServerFinalRssMiB = target.RssMiB();
        figures.LoadAtEnd = ApiFigures.LoadAverage();
        var verdict = await ReportAsync(outputDirectory, options, figures, gate, description, clock, ct);
        return failed ? 1 : verdict;
    }

    private static async Task<int> ReportAsync(string outputDirectory, ApiSuiteOptions options, ApiFigures figures, bool gate, string description, Stopwatch clock, CancellationToken ct)
    {
        var series = ApiReport.Series(figures).Select(s => s.Figures()).ToList();
        var thresholds = options.Thresholds.SelectMany(t => t.Judge(series)).ToList();
        await ApiReport.WriteAsync(outputDirectory, options, figures, description, thresholds, ct);
        var failures = ApiGoals.Failures(figures);
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"check failed: {failure}");
        }

        var crossed = thresholds.Where(t => !t.Passed).ToList();
        foreach (var t in crossed)
        {
            await Console.Error.WriteLineAsync($"threshold failed: {t.Threshold} on {t.Phase}: {t.Measured}");
        }

        var missed = ApiGoals.Evaluate(figures).Where(g => !g.Passed).ToList();
        foreach (var goal in missed)
        {
            await Console.Error.WriteLineAsync($"goal missed{(gate ? string.Empty : " (reported, not gated)")}: {goal.Name}: {goal.Figure}; target {goal.Target}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api: {failures.Count} correctness failures, {missed.Count} missed goals, {thresholds.Count - crossed.Count} of {thresholds.Count} threshold checks passed, {clock.Elapsed.TotalSeconds:0} s"));
        return failures.Count > 0 || crossed.Count > 0 || (gate && missed.Count > 0) ? 1 : 0;
    }
}
