using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Scale;

/// <summary>Writes a <c>scale</c> run's figures as <c>scale.md</c> (a table against the goals) and <c>scale.json</c>.</summary>
internal static class ScaleReport
{
    public static async Task WriteAsync(string directory, ScaleFigures f, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var o = f.Options;
        var slo = ScaleOptions.ApiSlo.TotalMilliseconds;
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# Scale: hollow nodes, heartbeats and pod churn")
            .AppendLine()
            .AppendLine(inv, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end; the server, the hollow process and the load generator share them, and other work on the host skews the figures).")
            .AppendLine(inv, $"Real `k3s server` (SQLite, scheduler and controllers on, no kubelet of its own) and one `k3s hollow-nodes --count {o.Nodes}` process: real kubelet loops (registration, Lease every 10 s, node status, pod sync), a runtime that runs nothing, each node with its own client certificate obtained as an agent does.")
            .AppendLine()
            .AppendLine("| measure | value | goal |")
            .AppendLine("|---|---:|---|")
            .AppendLine(inv, $"| {o.Nodes} hollow nodes Ready (process start → server lists all Ready) | {f.ReadySeconds:0.0} s | |")
            .AppendLine(inv, $"| CPU per node from start to all Ready (server / hollow process; certificates, node-password scrypt, registration, early heartbeats) | {f.ServerCpuPerJoin * 1000:0} / {f.HollowCpuPerJoin * 1000:0} ms | |")
            .AppendLine(inv, $"| hollow process RSS, 1 node → {o.Nodes} nodes | {f.HollowBaseline.RssMiB:0.0} → {f.HollowSettled.RssMiB:0.0} MiB | |")
            .AppendLine(inv, $"| **memory per hollow node** (RSS / PSS growth per added node) | **{f.RssPerNodeKiB:0} KiB** / {f.PssPerNodeKiB:0} KiB | |")
            .AppendLine(inv, $"| hollow process RSS after churn | {f.HollowAfterChurn.RssMiB:0.0} MiB | |")
            .AppendLine(inv, $"| server RSS: no nodes → {o.Nodes} nodes heartbeating → after churn | {f.ServerIdleRssMiB:0.0} → {f.ServerSettledRssMiB:0.0} → {f.ServerAfterChurnRssMiB:0.0} MiB | |")
            .AppendLine(inv, $"| server CPU, heartbeats only / with churn | {f.ServerCoresHeartbeat:0.00} / {f.ServerCoresChurn:0.00} cores | |")
            .AppendLine(inv, $"| hollow process CPU, heartbeats only / with churn | {f.HollowCoresHeartbeat:0.00} / {f.HollowCoresChurn:0.00} cores | |")
            .AppendLine()
            .AppendLine(inv, $"API latency, {o.ProbeRate:0} requests/s per operation, measured from each request's due time (HdrHistogram), in ms; goal p99 ≤ {slo:0} ms (the Kubernetes API call SLO). Heartbeats only ({o.Quiet.TotalSeconds:0} s), then with pod churn ({o.Churn.TotalSeconds:0} s: {o.PodsPerSecond:0} pods/s onto hollow nodes, each deleted {o.PodLifetime.TotalSeconds:0} s after its create):")
            .AppendLine()
            .AppendLine("| operation | phase | count | p50 | p99 | max | p99 ≤ 1 s |")
            .AppendLine("|---|---|---:|---:|---:|---:|---|");
        var rows = new JsonArray();
        foreach (var (phase, list) in new[] { ("heartbeats", Named(f.Quiet)), ("churn", f.ChurnLatencies) })
        {
            foreach (var (name, l) in list)
            {
                md.AppendLine(inv, $"| {name} | {phase} | {l.Count} | {l.Ms(50):0.0} | {l.Ms(99):0.0} | {l.MaxMs:0.0} | {(l.Ms(99) <= slo ? "yes" : "**no**")} |");
                rows.Add(new JsonObject { ["operation"] = name, ["phase"] = phase, ["count"] = l.Count, ["p50Ms"] = l.Ms(50), ["p99Ms"] = l.Ms(99), ["maxMs"] = l.MaxMs });
            }
        }

        var s = f.StartupSeconds;
        md.AppendLine()
            .AppendLine(inv, $"Pod start latency (create request → Running seen on a watch; scheduling, binding, hollow kubelet start and status write): {s.Count} of {f.Churn.Created.Count} pods, p50 {ScaleFigures.Percentile(s, 0.5):0.00} s, p99 {ScaleFigures.Percentile(s, 0.99):0.00} s, max {(s.Count > 0 ? s[^1] : double.NaN):0.00} s (Kubernetes SLO: p99 ≤ 5 s). Request errors: {f.Quiet.Errors + f.Churning.Errors + f.Churn.Errors}.")
            .AppendLine()
            .AppendLine(inv, $"Result: {(f.MeetsSlo ? "every p99 under churn is within 1 s" : "**a p99 under churn misses 1 s**")}.");
        var json = new JsonObject
        {
            ["nodes"] = o.Nodes,
            ["readySeconds"] = f.ReadySeconds,
            ["joinLoggedSeconds"] = f.JoinLoggedSeconds,
            ["serverCpuPerJoinMs"] = f.ServerCpuPerJoin * 1000,
            ["hollowCpuPerJoinMs"] = f.HollowCpuPerJoin * 1000,
            ["hollowBaselineRssMiB"] = f.HollowBaseline.RssMiB,
            ["hollowBaselinePssMiB"] = f.HollowBaseline.PssMiB,
            ["hollowRssMiB"] = f.HollowSettled.RssMiB,
            ["hollowPssMiB"] = f.HollowSettled.PssMiB,
            ["hollowAfterChurnRssMiB"] = f.HollowAfterChurn.RssMiB,
            ["rssPerNodeKiB"] = f.RssPerNodeKiB,
            ["pssPerNodeKiB"] = f.PssPerNodeKiB,
            ["serverIdleRssMiB"] = f.ServerIdleRssMiB,
            ["serverRssMiB"] = f.ServerSettledRssMiB,
            ["serverAfterChurnRssMiB"] = f.ServerAfterChurnRssMiB,
            ["serverCoresHeartbeat"] = f.ServerCoresHeartbeat,
            ["serverCoresChurn"] = f.ServerCoresChurn,
            ["hollowCoresHeartbeat"] = f.HollowCoresHeartbeat,
            ["hollowCoresChurn"] = f.HollowCoresChurn,
            ["latencies"] = rows,
            ["podsCreated"] = f.Churn.Created.Count,
            ["podStartP50Seconds"] = ScaleFigures.Percentile(s, 0.5),
            ["podStartP99Seconds"] = ScaleFigures.Percentile(s, 0.99),
            ["requestErrors"] = f.Quiet.Errors + f.Churning.Errors + f.Churn.Errors,
            ["meetsSlo"] = f.MeetsSlo,
            ["loadAverage"] = File.ReadAllText("/proc/loadavg").Split(' ')[0],
        };
        Plots.PercentilePlot.Write(directory, "scale-latency", $"API latency under pod churn, {o.Nodes} hollow nodes", f.ChurnLatencies);
        md.AppendLine().AppendLine("![API latency percentiles under pod churn](scale-latency.svg)");
        await File.WriteAllTextAsync(Path.Combine(directory, "scale.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, "scale.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct);
    }

    private static IEnumerable<(string Name, Latencies Latencies)> Named(ApiLatencyProbe p) =>
        [("GET node", p.GetNode), ("LIST pods (namespace)", p.ListPods), ("create ConfigMap", p.CreateConfigMap)];
}
