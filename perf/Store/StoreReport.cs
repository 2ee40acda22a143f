using System.Globalization;
using System.Text;
using System.Text.Json;

namespace K3sLab.Perf.Store;

/// <summary>Collects the store suite's figures per side ("etcd", "k3s") and writes them as store.md and store.json.</summary>
internal sealed class StoreReport(StoreSuiteOptions options, string k3s)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly List<(string Side, WriteLevel Run)> _writes = [];
    private readonly List<(string Side, WatchRun Run)> _watches = [];
    private readonly List<(string Side, ChurnRun Run)> _churns = [];
    private readonly List<(string Side, CheckPerfRun Run)> _checks = [];

    public void Add(string side, WriteLevel run) => _writes.Add((side, run));

    public void Add(string side, WatchRun run) => _watches.Add((side, run));

    public void Add(string side, ChurnRun run) => _churns.Add((side, run));

    public void Add(string side, CheckPerfRun run) => _checks.Add((side, run));

    /// <summary>What makes the run fail: our store losing or refusing writes or events, or growing without bound.</summary>
    public List<string> Failures()
    {
        var failures = new List<string>();
        failures.AddRange(_writes.Where(w => w.Side == "k3s" && w.Run.Errors > 0)
            .Select(w => $"k3s: {w.Run.Errors} of the writes at {w.Run.Clients} clients failed, first: {w.Run.FirstError}"));
        failures.AddRange(_watches.Where(w => w.Side == "k3s" && w.Run.Delivered != w.Run.Expected)
            .Select(w => $"k3s: watchers received {w.Run.Delivered} events, expected {w.Run.Expected}"));
        foreach (var (side, run) in _churns.Where(c => c.Side == "k3s"))
        {
            if (run.Errors > 0 || run.FirstError is not null)
            {
                failures.Add($"{side}: churn saw {run.Errors} failed writes, first: {run.FirstError}");
            }

            if (run.Compactions == 0)
            {
                failures.Add($"{side}: no compaction completed during churn");
            }

            if (run.MaxDiskBytes > options.MaxChurnDiskBytes)
            {
                failures.Add($"{side}: files reached {Mib(run.MaxDiskBytes)} during churn, over the {Mib(options.MaxChurnDiskBytes)} bound");
            }
        }

        return failures;
    }

    public async Task WriteAsync(string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# Datastore benchmarks: k3s datastore serve (SQLite) and etcd 3.4, side by side")
            .AppendLine()
            .AppendLine(Inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores by `K3sLab.Perf store`; runtime `{k3s}`, etcd `/usr/bin/etcd` ({EtcdVersion()}).")
            .AppendLine("Each phase starts a fresh process of each store on loopback; etcd runs as a single member with its defaults, ours with")
            .AppendLine("automatic compaction off so that both are compacted the same way, through the Compact call. The load generator is")
            .AppendLine("one .NET process on the same 2 cores, so it competes with the store for CPU; both stores face the same generator.")
            .AppendLine();

        md.AppendLine(Inv, $"## Writes: closed loop, one connection per client, 256-byte new keys, 1 KiB values, {options.LevelDuration.TotalSeconds:0} s per level")
            .AppendLine()
            .AppendLine("| clients | etcd w/s | etcd p50 | etcd p99 | etcd max | etcd CPU | k3s w/s | k3s p50 | k3s p99 | k3s max | k3s CPU |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var clients in options.ClientLevels)
        {
            md.Append(Inv, $"| {clients} |");
            foreach (var side in new[] { "etcd", "k3s" })
            {
                var run = _writes.FirstOrDefault(w => w.Side == side && w.Run.Clients == clients).Run;
                md.Append(run is null ? " – | – | – | – | – |" : string.Create(Inv,
                    $" {run.WritesPerSecond:0} | {run.Latency.Ms(50):0.00} ms | {run.Latency.Ms(99):0.00} ms | {run.Latency.MaxMs:0.0} ms | {run.StoreCpuSeconds / run.Seconds:0.00} cores |"));
            }

            md.AppendLine();
        }

        md.AppendLine()
            .AppendLine(Inv, $"## Watch delivery: {options.WatchStreams} streams × {options.WatchersPerStream} watchers on one prefix, {options.WatchPutsPerSecond} puts/s for {options.WatchDuration.TotalSeconds:0} s")
            .AppendLine()
            .AppendLine("Latency is from just before the put is sent to the moment each watcher's stream hands over the event.")
            .AppendLine()
            .AppendLine("| store | watchers | delivered / expected | p50 | p99 | max | store CPU |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (side, run) in _watches)
        {
            md.AppendLine(Inv, $"| {side} | {run.Watchers} | {run.Delivered} / {run.Expected} | {run.Latency.Ms(50):0.00} ms | {run.Latency.Ms(99):0.00} ms | {run.Latency.MaxMs:0.0} ms | {run.StoreCpuSeconds / options.WatchDuration.TotalSeconds:0.00} cores |");
        }

        md.AppendLine()
            .AppendLine(Inv, $"## Churn with compaction: {options.ChurnRevisions:N0} revisions on {options.ChurnKeys:N0} keys (1 KiB values), {options.ChurnClients} clients, compact to newest − {options.CompactRetain} every {options.CompactEvery.TotalSeconds:0} s")
            .AppendLine()
            .AppendLine("\"While compacting\" files each write by whether a compaction was running when it started: from the Compact call until")
            .AppendLine("the store logs that it finished deleting the history. Disk is every file in the store's folder, sampled each second.")
            .AppendLine()
            .AppendLine("| store | seconds | w/s | compactions | time compacting | p50 | p99 | p99 while compacting | p99 otherwise | max | max disk | disk at 25 / 50 / 75 / 100 % of the run |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (side, run) in _churns)
        {
            md.AppendLine(Inv, $"| {side} | {run.Seconds:0} | {run.Revisions / run.Seconds:0} | {run.Compactions} | {run.CompactingSeconds:0.0} s | {run.All.Ms(50):0.00} ms | {run.All.Ms(99):0.00} ms | {run.DuringCompaction.Ms(99):0.00} ms | {run.Outside.Ms(99):0.00} ms | {run.All.MaxMs:0.0} ms | {Mib(run.MaxDiskBytes)} | {Quartiles(run)} |");
        }

        if (_checks.Count > 0)
        {
            md.AppendLine()
                .AppendLine("## `etcdctl check perf` (etcdctl 3.4: m = 200 clients at 1,000 w/s, l = 500 clients at 8,000 w/s, 60 s each)")
                .AppendLine()
                .AppendLine("| load | store | verdict | writes/s | slowest | stddev |")
                .AppendLine("|---|---|---|---:|---:|---:|");
            foreach (var (side, run) in _checks)
            {
                md.AppendLine(Inv, $"| {run.Load} | {side} | {(run.Passed ? "PASS" : "FAIL")} | {run.WritesPerSecond?.ToString(Inv) ?? "–"} | {Seconds(run.SlowestSeconds)} | {Seconds(run.StddevSeconds)} |");
            }
        }

        Plots.PercentilePlot.Write(directory, "store-put", "Put latency, ours and etcd side by side", _writes.Select(w => ($"{w.Side}, {w.Run.Clients} client{(w.Run.Clients == 1 ? string.Empty : "s")}", w.Run.Latency)));
        Plots.PercentilePlot.Write(directory, "store-watch", "Watch delivery latency", _watches.Select(w => ($"{w.Side}, {w.Run.Watchers} watchers", w.Run.Latency)));
        Load.LoadFiles.Write(directory, "store", [.. _writes.Select(w => w.Run.Series(w.Side))]);
        md.AppendLine()
            .AppendLine("![put latency percentiles](store-put.svg)")
            .AppendLine()
            .AppendLine("![watch delivery latency percentiles](store-watch.svg)")
            .AppendLine()
            .AppendLine("Put p99 (solid) and p50 (dashed) per second of each level:")
            .AppendLine()
            .AppendLine("![put latency over the run](store-over-time.svg)")
            .AppendLine()
            .AppendLine("Per level and per second as CSV (`store.csv`, `store-intervals.csv`), HdrHistogram percentile files (`store-hgrm/`, ms) and interval log (`store-intervals.hlog`, µs).");
        await File.WriteAllTextAsync(Path.Combine(directory, "store.md"), md.ToString(), ct);
        var json = JsonSerializer.Serialize(new
        {
            measuredUtc = DateTime.UtcNow,
            writes = _writes.Select(w => new { store = w.Side, w.Run.Clients, w.Run.Writes, w.Run.Errors, writesPerSecond = Math.Round(w.Run.WritesPerSecond), p50Ms = w.Run.Latency.Ms(50), p99Ms = w.Run.Latency.Ms(99), maxMs = w.Run.Latency.MaxMs }),
            watches = _watches.Select(w => new { store = w.Side, w.Run.Watchers, w.Run.Puts, w.Run.Expected, w.Run.Delivered, p50Ms = w.Run.Latency.Ms(50), p99Ms = w.Run.Latency.Ms(99), maxMs = w.Run.Latency.MaxMs }),
            churns = _churns.Select(c => new { store = c.Side, c.Run.Revisions, c.Run.Keys, c.Run.Errors, c.Run.Seconds, c.Run.Compactions, c.Run.CompactingSeconds, p99Ms = c.Run.All.Ms(99), p99CompactingMs = c.Run.DuringCompaction.Ms(99), p99OtherwiseMs = c.Run.Outside.Ms(99), c.Run.MaxDiskBytes, finalDiskBytes = c.Run.DiskSamples.Count > 0 ? c.Run.DiskSamples[^1].DiskBytes : 0 }),
            checkPerf = _checks.Select(c => new { store = c.Side, c.Run.Load, c.Run.Passed, c.Run.WritesPerSecond, c.Run.SlowestSeconds, c.Run.StddevSeconds }),
        });
        await File.WriteAllTextAsync(Path.Combine(directory, "store.json"), json + "\n", ct);
        Console.Write(md.ToString());
    }

    private static string Quartiles(ChurnRun run)
    {
        if (run.DiskSamples.Count == 0)
        {
            return "–";
        }

        var points = new[] { 0.25, 0.5, 0.75, 1.0 }.Select(q => run.DiskSamples[Math.Min(run.DiskSamples.Count - 1, (int)Math.Ceiling(q * run.DiskSamples.Count) - 1)].DiskBytes);
        return string.Join(" / ", points.Select(Mib));
    }

    private static string Mib(long bytes) => string.Create(Inv, $"{bytes / 1048576.0:0.0} MiB");

    private static string Seconds(double? value) => value is { } v ? string.Create(Inv, $"{v:0.000} s") : "–";

    /// <summary>The first line of <c>/usr/bin/etcd --version</c>, for the reports' headers.</summary>
    internal static string EtcdVersion()
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/etcd", "--version") { RedirectStandardOutput = true })!;
            var first = process.StandardOutput.ReadLine() ?? "unknown";
            process.WaitForExit();
            return first.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
