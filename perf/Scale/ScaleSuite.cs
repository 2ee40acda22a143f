using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using K3sLab.Lab;
using K3sLab.Perf.Api;
using K3sLab.Perf.Scheduling;

namespace K3sLab.Perf.Scale;

/// <summary>
/// Issue 11's <c>scale</c> suite, kubemark-style, on a real <c>k3s server</c> (SQLite, scheduler and controllers on):
/// <list type="number">
/// <item>A <c>k3s hollow-nodes</c> process with one node, settled: the hollow process's baseline memory.</item>
/// <item>One with <c>N</c> nodes: time from its start until the server lists all N Ready; after a settle window,
/// its RSS and PSS, so memory per hollow node is (N-node − 1-node) / (N − 1); the server's RSS and CPU while
/// N nodes heartbeat.</item>
/// <item>API latency while they only heartbeat, then under pod churn (pods created at a fixed rate onto hollow
/// nodes and deleted a fixed time later): GET node, LIST pods in a namespace and create ConfigMap at a fixed rate
/// each, HdrHistogram from each request's due time, against the 1 s SLO; pod start latency from create to
/// Running seen on a watch.</item>
/// </list>
/// Writes <c>scale.md</c> and <c>scale.json</c>; exits 1 when a p99 under churn misses the SLO.
/// </summary>
internal static class ScaleSuite
{
    private const string Namespace = "scale";
    private const string Prefix = "hollow-";

    public static async Task<int> RunAsync(string outputDirectory, ScaleOptions options, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        await using var server = await ApiServerProcess.StartAsync(k3s, ct);
        var token = (await File.ReadAllTextAsync(Path.Combine(server.TlsDirectory, "..", "token"), ct)).Trim();
        using var admin = new AdminConnections(server, 8, System.Net.HttpVersion.Version20, TimeSpan.FromSeconds(30));
        using var watchClient = new AdminConnections(server, 1, System.Net.HttpVersion.Version20, Timeout.InfiniteTimeSpan);
        var serverIdle = server.RssMiB();
        (await admin[0].PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = Namespace } }, ct)).EnsureSuccessStatusCode();

        ProcessStats baseline;
        await using (var one = new HollowProcess(k3s, server.BaseAddress, token, 1, "baseline-"))
        {
            await ReadyAsync(admin[0], "baseline-", 1, TimeSpan.FromSeconds(120), one, ct);
            await one.JoinedAsync(ct);
            await Task.Delay(options.Settle, ct);
            baseline = one.Stats();
        }

        // The baseline node would go NotReady and linger; it is not part of the measured cluster.
        (await admin[0].DeleteAsync("/api/v1/nodes/baseline-0", ct)).Dispose();
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] baseline: hollow process with 1 node RSS {baseline.RssMiB:0.0} MiB, PSS {baseline.PssMiB:0.0} MiB");

        var serverBeforeJoin = ProcessStats.Read(server.ProcessId);
        var clock = Stopwatch.StartNew();
        await using var hollow = new HollowProcess(k3s, server.BaseAddress, token, options.Nodes, Prefix);
        await ReadyAsync(admin[0], Prefix, options.Nodes, TimeSpan.FromMinutes(10), hollow, ct);
        var readySeconds = clock.Elapsed.TotalSeconds;
        var (serverJoined, hollowJoined) = (ProcessStats.Read(server.ProcessId), hollow.Stats());
        await hollow.JoinedAsync(ct);
        var joinLogged = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {options.Nodes} hollow nodes Ready after {readySeconds:0.0} s");

        var (serverBefore, hollowBefore) = (ProcessStats.Read(server.ProcessId), hollow.Stats());
        await Task.Delay(options.Settle, ct);
        var quiet = new ApiLatencyProbe(i => admin[i], Prefix, options.Nodes, Namespace);
        await quiet.RunAsync(options.ProbeRate, options.Quiet, "quiet", ct);
        var (serverSettled, hollowSettled) = (ProcessStats.Read(server.ProcessId), hollow.Stats());
        var heartbeatWindow = options.Settle + options.Quiet;
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] settled: hollow RSS {hollowSettled.RssMiB:0.0} MiB, server RSS {serverSettled.RssMiB:0.0} MiB; churning for {options.Churn.TotalSeconds:0} s");

        var version = (await admin[0].GetFromJsonAsync<JsonObject>("/api/v1/pods", ct))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var watch = new PodWatch(watchClient[0], version, clock);
        var churnStart = clock.Elapsed;
        var churning = new ApiLatencyProbe(i => admin[i], Prefix, options.Nodes, Namespace);
        var churn = new PodChurn(i => admin[i + 3], Namespace, clock);
        await Task.WhenAll(churning.RunAsync(options.ProbeRate, options.Churn, "churn", ct), churn.RunAsync(options.PodsPerSecond, options.PodLifetime, options.Churn, ct));
        var churnSeconds = (clock.Elapsed - churnStart).TotalSeconds;
        var (serverChurned, hollowChurned) = (ProcessStats.Read(server.ProcessId), hollow.Stats());
        var startup = churn.Created.Where(c => watch.Running.ContainsKey(c.Key)).Select(c => (watch.Running[c.Key] - c.Value).TotalSeconds).Order().ToList();
        var missing = churn.Created.Count - startup.Count;
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] churn: {churn.Created.Count} pods, {startup.Count} seen Running ({missing} not), {churn.Errors + churning.Errors} request errors");

        var figures = new ScaleFigures(
            options,
            readySeconds,
            joinLogged,
            (serverJoined.CpuSeconds - serverBeforeJoin.CpuSeconds) / options.Nodes,
            hollowJoined.CpuSeconds / options.Nodes,
            baseline,
            hollowSettled,
            hollowChurned,
            serverIdle,
            serverSettled.RssMiB,
            serverChurned.RssMiB,
            (serverSettled.CpuSeconds - serverBefore.CpuSeconds) / heartbeatWindow.TotalSeconds,
            (serverChurned.CpuSeconds - serverSettled.CpuSeconds) / churnSeconds,
            (hollowSettled.CpuSeconds - hollowBefore.CpuSeconds) / heartbeatWindow.TotalSeconds,
            (hollowChurned.CpuSeconds - hollowSettled.CpuSeconds) / churnSeconds,
            quiet,
            churning,
            churn,
            startup);
        await ScaleReport.WriteAsync(outputDirectory, figures, ct);
        return figures.MeetsSlo ? 0 : 1;
    }

    /// <summary>Polls the hollow nodes with <paramref name="prefix"/> until <paramref name="count"/> are Ready.</summary>
    private static async Task ReadyAsync(HttpClient client, string prefix, int count, TimeSpan within, HollowProcess process, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var ready = 0;
        while (clock.Elapsed < within)
        {
            var list = await client.GetFromJsonAsync<JsonObject>("/api/v1/nodes?labelSelector=k3slab.io%2Fhollow%3Dtrue", ct);
            ready = (list?["items"] as JsonArray ?? []).OfType<JsonObject>().Count(n =>
                n["metadata"]?["name"]?.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal) == true
                && (n["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True"));
            if (ready >= count)
            {
                return;
            }

            await Task.Delay(500, ct);
        }

        throw new TimeoutException($"only {ready} of {count} hollow nodes were Ready within {within.TotalSeconds:0} s:\n{process.Log()[^Math.Min(4000, process.Log().Length)..]}");
    }
}
