using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Lab;
using K3sLab.Perf.Api;

namespace K3sLab.Perf.Scheduling;

/// <summary>
/// Issue 6's scheduler benchmarks, on a real <c>k3s server</c>:
/// <list type="number">
/// <item><b>Throughput</b>: <c>pods</c> pause pods are created while no node exists (all pending), then
/// <c>nodes</c> hollow Nodes (Ready, 32 CPU, 64 Gi, 110 pods; no kubelet; node monitoring relaxed so they stay
/// Ready) are registered; timed from the last Node's status to the last binding seen on a watch.</item>
/// <item><b>Pod startup latency</b>: on a server running its own kubelet, <c>startup</c> pause pods are created at
/// 5 per second; each pod's latency runs from its create request to the first watch event showing it Running
/// (scheduling, binding, kubelet start and status write included), against the Kubernetes SLO p99 ≤ 5 s.</item>
/// </list>
/// Writes <c>scheduling.md</c> and <c>scheduling.json</c>.
/// </summary>
internal static class SchedulingSuite
{
    public static async Task<int> RunAsync(string outputDirectory, int pods, int nodes, int startup, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        var throughput = await ThroughputAsync(k3s, pods, nodes, ct);
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] bound {pods} pods on {nodes} nodes in {throughput.Seconds:0.00} s ({pods / throughput.Seconds:0} pods/s)");
        var latencies = await StartupAsync(k3s, startup, ct);
        Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] startup of {startup} pods: p50 {Percentile(latencies, 0.5):0.00} s, p99 {Percentile(latencies, 0.99):0.00} s");
        await WriteAsync(outputDirectory, pods, nodes, throughput, latencies, ct);
        return Percentile(latencies, 0.99) <= 5 ? 0 : 1;
    }

    private static async Task<(double Seconds, int MinPerNode, int MaxPerNode)> ThroughputAsync(string k3s, int pods, int nodes, CancellationToken ct)
    {
        await using var server = await ApiServerProcess.StartAsync(k3s, kubelet: false, ["--kube-controller-manager-arg", "node-monitor-grace-period=30m"], ct);
        using var clients = new AdminConnections(server, 8, System.Net.HttpVersion.Version20, TimeSpan.FromSeconds(30));
        using var watchClient = new AdminConnections(server, 1, System.Net.HttpVersion.Version20, Timeout.InfiniteTimeSpan);
        var clock = Stopwatch.StartNew();
        var version = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/pods", ct))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var watch = new PodWatch(watchClient[0], version, clock);
        await ParallelAsync(pods, 16, async i =>
        {
            using var response = await clients[i].PostAsJsonAsync("/api/v1/namespaces/default/pods", Pod($"bench-{i:D5}", 100, 64), ct);
            response.EnsureSuccessStatusCode();
        });

        await ParallelAsync(nodes, 8, async i => await RegisterNodeAsync(clients[i], $"hollow-{i:D3}", ct));
        var nodesReady = clock.Elapsed;
        var deadline = clock.Elapsed + TimeSpan.FromMinutes(5);
        while (watch.Bound.Count < pods && clock.Elapsed < deadline)
        {
            await Task.Delay(50, ct);
        }

        if (watch.Bound.Count < pods)
        {
            throw new TimeoutException($"only {watch.Bound.Count} of {pods} pods were bound within 5 minutes:\n{server.Log()[^Math.Min(4000, server.Log().Length)..]}");
        }

        var perNode = watch.Nodes.Values.GroupBy(n => n, StringComparer.Ordinal).Select(g => g.Count()).ToList();
        return ((watch.Bound.Values.Max() - nodesReady).TotalSeconds, perNode.Min(), perNode.Max());
    }

    private static async Task<List<double>> StartupAsync(string k3s, int count, CancellationToken ct)
    {
        await using var server = await ApiServerProcess.StartAsync(k3s, kubelet: true, [], ct);
        using var clients = new AdminConnections(server, 4, System.Net.HttpVersion.Version20, TimeSpan.FromSeconds(30));
        using var watchClient = new AdminConnections(server, 1, System.Net.HttpVersion.Version20, Timeout.InfiniteTimeSpan);
        var clock = Stopwatch.StartNew();
        while (!await NodeReadyAsync(clients[0], "perf", ct))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"the server's node never became Ready:\n{server.Log()}");
            }

            await Task.Delay(200, ct);
        }

        var version = (await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/pods", ct))!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var watch = new PodWatch(watchClient[0], version, clock);
        var created = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var creates = new List<Task>();
        var start = clock.Elapsed;
        for (var i = 0; i < count; i++)
        {
            var due = start + TimeSpan.FromMilliseconds(200 * i);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct);
            }

            var name = $"startup-{i:D4}";
            created[name] = clock.Elapsed;
            var client = clients[i];
            creates.Add(Task.Run(
                async () =>
                {
                    using var response = await client.PostAsJsonAsync("/api/v1/namespaces/default/pods", Pod(name, 10, 16), ct);
                    response.EnsureSuccessStatusCode();
                },
                ct));
        }

        await Task.WhenAll(creates);
        var deadline = clock.Elapsed + TimeSpan.FromMinutes(3);
        while (watch.Running.Count < count && clock.Elapsed < deadline)
        {
            await Task.Delay(50, ct);
        }

        if (watch.Running.Count < count)
        {
            throw new TimeoutException($"only {watch.Running.Count} of {count} pods were Running within 3 minutes");
        }

        return [.. created.Select(c => (watch.Running[c.Key] - c.Value).TotalSeconds).Order()];
    }

    private static async Task RegisterNodeAsync(HttpClient client, string name, CancellationToken ct)
    {
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name, ["kubernetes.io/os"] = "linux" } },
        };
        using (var created = await client.PostAsJsonAsync("/api/v1/nodes", node, ct))
        {
            created.EnsureSuccessStatusCode();
        }

        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var capacity = new JsonObject { ["cpu"] = "32", ["memory"] = "64Gi", ["pods"] = "110" };
        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["capacity"] = capacity.DeepClone(),
                ["allocatable"] = capacity,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["lastHeartbeatTime"] = now, ["lastTransitionTime"] = now }),
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/nodes/{name}/status") { Content = new StringContent(status.ToJsonString(), Encoding.UTF8, "application/merge-patch+json") };
        using var patched = await client.SendAsync(request, ct);
        patched.EnsureSuccessStatusCode();
    }

    private static async Task<bool> NodeReadyAsync(HttpClient client, string name, CancellationToken ct)
    {
        using var response = await client.GetAsync($"/api/v1/nodes/{name}", ct);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        var node = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        return (node?["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");
    }

    private static JsonObject Pod(string name, int milliCpu, int memoryMi) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "bench" } },
        ["spec"] = new JsonObject
        {
            ["terminationGracePeriodSeconds"] = 1,
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "pause",
                ["image"] = "pause",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = $"{milliCpu}m", ["memory"] = $"{memoryMi}Mi" } },
            }),
        },
    };

    private static async Task ParallelAsync(int count, int concurrency, Func<int, Task> body)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count)
            {
                await body(i);
            }
        })));
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task WriteAsync(string directory, int pods, int nodes, (double Seconds, int MinPerNode, int MaxPerNode) throughput, List<double> latencies, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# Scheduling throughput and pod startup latency")
            .AppendLine()
            .AppendLine(inv, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end. Real `k3s server` (SQLite), scheduler and controllers in process.")
            .AppendLine()
            .AppendLine("| measure | value | goal |")
            .AppendLine("|---|---:|---|")
            .AppendLine(inv, $"| {pods} pending pods bound on {nodes} hollow nodes | {throughput.Seconds:0.00} s ({pods / throughput.Seconds:0} pods/s) | |")
            .AppendLine(inv, $"| pods per node after binding (min–max) | {throughput.MinPerNode}–{throughput.MaxPerNode} | even spread |")
            .AppendLine(inv, $"| pod startup latency p50 ({latencies.Count} pods, 5/s, one kubelet) | {Percentile(latencies, 0.5):0.00} s | |")
            .AppendLine(inv, $"| pod startup latency p99 | {Percentile(latencies, 0.99):0.00} s | ≤ 5 s (Kubernetes SLO) |")
            .AppendLine(inv, $"| pod startup latency max | {latencies[^1]:0.00} s | |");
        var json = new JsonObject
        {
            ["pods"] = pods,
            ["nodes"] = nodes,
            ["bindSeconds"] = throughput.Seconds,
            ["podsPerSecond"] = pods / throughput.Seconds,
            ["minPerNode"] = throughput.MinPerNode,
            ["maxPerNode"] = throughput.MaxPerNode,
            ["startupSeconds"] = new JsonArray([.. latencies.Select(l => (JsonNode)l)]),
            ["startupP50"] = Percentile(latencies, 0.5),
            ["startupP99"] = Percentile(latencies, 0.99),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "scheduling.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, "scheduling.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct);
    }
}
