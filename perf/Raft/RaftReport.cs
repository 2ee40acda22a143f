using System.Globalization;
using System.Text;
using System.Text.Json;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Raft;

/// <summary>Collects the raft suite's figures per side ("etcd", "k3s") and writes them as raft.md and raft.json.</summary>
internal sealed class RaftReport(RaftSuiteOptions options, string k3s)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly List<(string Side, WriteLevel Run, int Round)> _writes = [];
    private readonly List<(string Side, int Clients, int Round, double Ms)> _probes = [];
    private readonly List<(string Side, int Clients, int Round, List<SnapshotWrite> Writes)> _snapshotWrites = [];
    private readonly List<(string Side, CheckPerfRun Run)> _checks = [];
    private readonly List<(string Side, bool Ok, string Table)> _memberLists = [];
    private readonly List<(string Side, List<FailoverTrial> Trials)> _failovers = [];
    private readonly List<(string Side, string Stage, long Keys, List<(string Member, double RssMiB, double PeakMiB)> Members)> _memory = [];

    /// <summary>The host's own disk and CPU, measured before the clusters started.</summary>
    public HostCalibration.Result? Host { get; set; }

    public void Add(string side, WriteLevel run, int round) => _writes.Add((side, run, round));

    /// <summary>The fixed one-core workload's time just before a level (<see cref="HostCalibration.CpuWork"/>).</summary>
    public void AddProbe(string side, int clients, int round, double ms) => _probes.Add((side, clients, round, ms));

    /// <summary>Levels whose probe took over <see cref="HostCalibration.DisturbedFactor"/> times the calibration's: the host was busy when they started.</summary>
    private List<(string Side, int Clients, int Round, double Ms)> Disturbed() =>
        Host is { } host ? [.. _probes.Where(p => p.Ms > host.CpuWorkMs * HostCalibration.DisturbedFactor)] : [];

    /// <summary>Our members' snapshot writes in progress during a level (on either side: both clusters share the host).</summary>
    public void AddSnapshotWrites(string side, int clients, int round, List<SnapshotWrite> writes) => _snapshotWrites.Add((side, clients, round, writes));

    public void Add(string side, CheckPerfRun run) => _checks.Add((side, run));

    public void AddMemberList(string side, bool ok, string table) => _memberLists.Add((side, ok, table));

    public void Add(string side, List<FailoverTrial> trials) => _failovers.Add((side, trials));

    /// <summary>Each member's resident memory at <paramref name="stage"/>, when the cluster held <paramref name="keys"/> keys put by the levels.</summary>
    public void AddMemory(string side, string stage, long keys, List<(string Member, double RssMiB, double PeakMiB)> members) => _memory.Add((side, stage, keys, members));

    /// <summary>The keys the put levels wrote to <paramref name="side"/> so far (every put is a new key).</summary>
    public long KeysPut(string side) => _writes.Where(w => w.Side == side).Sum(w => w.Run.Writes);

    /// <summary>
    /// Ours over etcd's put throughput at <paramref name="clients"/>: the median of the rounds' ratios (the one ratio
    /// with one round); null when no round has both.
    /// </summary>
    public double? Ratio(int clients)
    {
        var ratios = RoundRatios(clients);
        return ratios.Count == 0 ? null : Median(ratios);
    }

    /// <summary>Each round's ratio at <paramref name="clients"/>, sorted.</summary>
    public List<double> RoundRatios(int clients) =>
    [
        .. Enumerable.Range(1, options.Rounds)
            .Select(round => (Etcd: Level("etcd", clients, round), Ours: Level("k3s", clients, round)))
            .Where(p => p.Etcd is { WritesPerSecond: > 0 } && p.Ours is not null)
            .Select(p => p.Ours!.WritesPerSecond / p.Etcd!.WritesPerSecond)
            .Order(),
    ];

    /// <summary>
    /// What makes the run fail outright: our cluster refusing writes or not showing three started voters to etcdctl.
    /// </summary>
    public List<string> CorrectnessFailures() =>
    [
        .. _writes.Where(w => w.Side == "k3s" && w.Run.Errors > 0)
            .Select(w => $"k3s: {w.Run.Errors} of the writes at {w.Run.Clients} clients failed, first: {w.Run.FirstError}"),
        .. _memberLists.Where(m => !m.Ok).Select(m => $"{m.Side}: etcdctl member list does not show 3 started voters:\n{m.Table}"),
    ];

    /// <summary>
    /// The speed verdict: levels at which ours fell under <paramref name="minRatio"/> of etcd's throughput (a ratio in
    /// one run, never a wall time).
    /// </summary>
    public List<string> FloorFailures(double minRatio) =>
    [
        .. options.ClientLevels
            .Select(clients => (Clients: clients, Ratio: Ratio(clients)))
            .Where(l => l.Ratio is { } ratio && ratio < minRatio)
            .Select(l => string.Create(Inv, $"k3s: {l.Ratio:0.00}× etcd's put throughput at {l.Clients} clients, under the {minRatio:0.00}× floor")),
    ];

    public async Task WriteAsync(string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# Replicated datastore benchmarks: 3-member k3s datastore and 3-member etcd 3.4, side by side")
            .AppendLine()
            .AppendLine(Inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({HostName()}) by `K3sLab.Perf raft`; runtime `{k3s}` (NativeAOT), etcd `/usr/bin/etcd` ({StoreReport.EtcdVersion()}).")
            .AppendLine("Each cluster is three processes on loopback ports with fresh data folders in the temp folder, with etcd's default")
            .AppendLine("timing on both (100 ms heartbeat, 1,000 ms election timeout). etcd is bootstrapped with a static `--initial-cluster`;")
            .AppendLine("ours forms by the k3s join flow (`--cluster-init` on m1, `--join <m1 client URL>` on m2 and m3, promoted from learner).")
            .AppendLine(options.SnapshotCount is { } count ? string.Create(Inv, $"Both clusters run with `--snapshot-count {count}`.") : "Each runs with its own default `--snapshot-count` (etcd 3.4: 100,000 entries; ours: 10,000).")
            .AppendLine("The load generator is one .NET process on the same cores as the three members under test (one cluster takes")
            .AppendLine("load at a time), so it competes with the members for CPU; both clusters face the same generator.")
            .AppendLine(options.Rounds > 1
                ? string.Create(Inv, $"Puts ran in {options.Rounds} rounds with both clusters up (the idle one only heartbeats); each round ran every level on both, etcd first in odd rounds and ours first in even ones. The ratio is the median of the rounds' ratios.")
                : "Puts ran in one round, etcd's cluster first, then ours.")
            .AppendLine();

        if (Host is { } host)
        {
            md.AppendLine("## The host, before either cluster started")
                .AppendLine()
                .AppendLine("| probe | figure |")
                .AppendLine("|---|---|")
                .AppendLine(Inv, $"| 2 KiB write + `fdatasync` in the temp folder, one writer ({host.Alone.Syncs:N0} syncs) | p50 {host.Alone.P50Us:0} µs, p99 {host.Alone.P99Us:0} µs |")
                .AppendLine(Inv, $"| the same, three writers at once ({host.ThreeAtOnce.Syncs:N0} syncs) | p50 {host.ThreeAtOnce.P50Us:0} µs, p99 {host.ThreeAtOnce.P99Us:0} µs |")
                .AppendLine(Inv, $"| fixed one-core workload (sort 1,000,000 longs, map 300,000 keys), best of 3 | {host.CpuWorkMs:0} ms |")
                .AppendLine()
                .AppendLine("Both stores are bound by these: a put at one client waits for syncs on two members and for every step between")
                .AppendLine("them. Figures from hosts whose probes differ do not compare; the ratio between the stores in one run does.")
                .AppendLine();
        }

        md.AppendLine("## Membership (`etcdctl member list -w table`, etcdctl 3.4)").AppendLine();
        foreach (var (side, ok, table) in _memberLists)
        {
            md.AppendLine(Inv, $"{side}: {(ok ? "3 started voters" : "NOT 3 started voters")}").AppendLine().AppendLine("```").AppendLine(table).AppendLine("```").AppendLine();
        }

        md.AppendLine(Inv, $"## Puts: closed loop through the leader's client endpoint, one connection per client, 256-byte new keys, 1 KiB values, {options.LevelDuration.TotalSeconds:0} s per level")
            .AppendLine()
            .AppendLine(options.Client == PutClient.Direct
                ? "Client: `DirectUnaryConnection` (`--client direct`), one thread per connection, blocking socket calls. CPU is the three members' together (cores used on average over the level)."
                : "Client: `Grpc.Net.Client`, async, one channel per connection. CPU is the three members' together (cores used on average over the level).")
            .AppendLine()
            .AppendLine("| clients | round | etcd w/s | etcd p50 | etcd p99 | etcd p99.9 | etcd CPU | k3s w/s | k3s p50 | k3s p99 | k3s p99.9 | k3s CPU | k3s / etcd |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var clients in options.ClientLevels)
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                md.Append(Inv, $"| {clients} | {round} |");
                foreach (var side in new[] { "etcd", "k3s" })
                {
                    var run = Level(side, clients, round);
                    md.Append(run is null ? " – | – | – | – | – |" : string.Create(Inv,
                        $" {run.WritesPerSecond:0} | {run.Latency.Ms(50):0.00} ms | {run.Latency.Ms(99):0.00} ms | {run.Latency.Ms(99.9):0.00} ms | {run.StoreCpuSeconds / run.Seconds:0.00} |"));
                }

                var (etcd, ours) = (Level("etcd", clients, round), Level("k3s", clients, round));
                md.AppendLine(etcd is { WritesPerSecond: > 0 } && ours is not null ? string.Create(Inv, $" {ours.WritesPerSecond / etcd.WritesPerSecond:0.00}× |") : " – |");
            }
        }

        md.AppendLine();
        foreach (var clients in options.ClientLevels)
        {
            var ratios = RoundRatios(clients);
            md.AppendLine(ratios.Count == 0
                ? string.Create(Inv, $"- {clients} clients: no ratio.")
                : string.Create(Inv, $"- {clients} clients: ours / etcd's puts per second, median of {ratios.Count} round(s) **{Median(ratios):0.00}×** (min {ratios[0]:0.00}×, max {ratios[^1]:0.00}×); {ratios.Count(r => r >= options.ThroughputGoal)} of {ratios.Count} at or above the goal."));
        }

        md.AppendLine().AppendLine(Inv, $"Goal: ≥ {options.ThroughputGoal:0.0}× etcd's throughput at each level.").AppendLine();
        if (Host is { } calibrated && _probes.Count > 0)
        {
            var disturbed = Disturbed();
            md.AppendLine(Inv, $"Before each level the fixed one-core workload ran once more: {_probes.Min(p => p.Ms):0}-{_probes.Max(p => p.Ms):0} ms, against {calibrated.CpuWorkMs:0} ms before the clusters started.")
                .AppendLine(disturbed.Count == 0
                    ? string.Create(Inv, $"No level's probe took over {HostCalibration.DisturbedFactor:0.00}× that: no level ran on a busy host.")
                    : string.Create(Inv, $"**{disturbed.Count} level(s) started on a busy host** (probe over {HostCalibration.DisturbedFactor:0.00}× the calibration): {string.Join(", ", disturbed.Select(d => string.Create(Inv, $"{d.Side} round {d.Round} at {d.Clients} client(s), {d.Ms:0} ms")))}. The probe cannot tell what took the CPU: another tenant of the machine, a build, or a cluster's own background work, such as our members writing a snapshot (the next paragraph names those)."))
                .AppendLine();
        }

        if (_snapshotWrites.Count > 0)
        {
            var during = _snapshotWrites.Where(l => l.Writes.Count > 0).ToList();
            md.AppendLine(during.Count == 0
                ? "None of our members wrote a snapshot during any level."
                : string.Create(Inv, $"**Our members wrote snapshots during {during.Count} level(s)** (both clusters share the host's disk and CPU, so this counts for etcd's levels too; a write runs in the idle scheduling class, paced, and may finish long after the level that made it due): {string.Join("; ", during.Select(l => string.Create(Inv, $"{l.Side} round {l.Round} at {l.Clients} client(s): {string.Join(", ", l.Writes.Select(w => w.Describe()))}")))}."))
                .AppendLine();
        }

        if (_checks.Count > 0)
        {
            md.AppendLine("## `etcdctl check perf` against all three endpoints (etcdctl 3.4; m = 200 clients at 1,000 w/s for 60 s)")
                .AppendLine()
                .AppendLine("| load | cluster | verdict | writes/s | slowest | stddev |")
                .AppendLine("|---|---|---|---:|---:|---:|");
            foreach (var (side, run) in _checks)
            {
                md.AppendLine(Inv, $"| {run.Load} | {side} | {(run.Passed ? "PASS" : "FAIL")} | {run.WritesPerSecond?.ToString(Inv) ?? "–"} | {Seconds(run.SlowestSeconds)} | {Seconds(run.StddevSeconds)} |");
            }

            md.AppendLine();
        }

        if (_memory.Count > 0)
        {
            md.AppendLine("## Memory of the members (`VmRSS` now, `VmHWM` peak, per member)")
                .AppendLine()
                .AppendLine("Every put of the levels is a new key of 256 bytes with a 1 KiB value; `check perf` adds keys of its own on top.")
                .AppendLine()
                .AppendLine("| cluster | when | keys put | RSS per member (MiB) | peak per member (MiB) |")
                .AppendLine("|---|---|---:|---|---|");
            foreach (var (side, stage, keys, members) in _memory)
            {
                md.AppendLine(Inv, $"| {side} | {stage} | {keys:N0} | {string.Join(" / ", members.Select(m => m.RssMiB.ToString("0", Inv)))} | {string.Join(" / ", members.Select(m => m.PeakMiB.ToString("0", Inv)))} |");
            }

            md.AppendLine();
        }

        md.AppendLine("## Failover: SIGKILL the leader under a steady put load through a follower")
            .AppendLine()
            .AppendLine("Four writers put through one follower (each put with a 250 ms deadline, retried at once on failure). Recovery is from")
            .AppendLine("the kill to the first put sent after the kill that the same follower acknowledged. After each trial the load stops,")
            .AppendLine("the killed member restarts on its data, and the next trial starts once every member has applied the leader's log.")
            .AppendLine()
            .AppendLine(Inv, $"| cluster | trials | min | p50 | p90 | max | ≤ {options.FailoverGoal.TotalSeconds:0} s |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (side, trials) in _failovers)
        {
            var sorted = trials.Select(t => t.RecoverySeconds).Order().ToList();
            md.AppendLine(Inv, $"| {side} | {sorted.Count} | {Seconds(sorted.FirstOrDefault())} | {Seconds(Percentile(sorted, 50))} | {Seconds(Percentile(sorted, 90))} | {Seconds(sorted.LastOrDefault())} | {sorted.Count(s => s <= options.FailoverGoal.TotalSeconds)} / {sorted.Count} |");
        }

        md.AppendLine();
        foreach (var (side, trials) in _failovers)
        {
            md.AppendLine(Inv, $"{side}, each trial (seconds): {string.Join(", ", trials.Select(t => t.RecoverySeconds.ToString("0.000", Inv)))}").AppendLine();
        }

        if (_writes.Count > 0)
        {
            Plots.PercentilePlot.Write(directory, "raft-puts", "Put latency through the leader, 3 members each", _writes.Select(w => (string.Create(Inv, $"{Label(w.Side, w.Round)}, {w.Run.Clients} client{(w.Run.Clients == 1 ? string.Empty : "s")}"), w.Run.Latency)));
            md.AppendLine("![put latency percentiles, ours and etcd's](raft-puts.svg)").AppendLine();
            Load.LoadFiles.Write(directory, "raft", [.. _writes.Select(w => w.Run.Series(Label(w.Side, w.Round)))]);
            md.AppendLine("Put p99 (solid) and p50 (dashed) per second of each level; per level and per second as CSV (`raft.csv`, `raft-intervals.csv`), HdrHistogram files in `raft-hgrm/` (ms) and `raft-intervals.hlog` (µs):")
                .AppendLine()
                .AppendLine("![put latency over the run](raft-over-time.svg)")
                .AppendLine();
        }

        if (_failovers.Count > 0)
        {
            Plots.TrialPlot.Write(
                directory,
                "raft-failover",
                "Write recovery after SIGKILL of the leader",
                "seconds from the kill to the first acknowledged put",
                _failovers.Select(f => (f.Side, (IReadOnlyList<(int, double)>)[.. f.Trials.Select(t => (t.Trial, t.RecoverySeconds))])),
                [(string.Create(Inv, $"goal {options.FailoverGoal.TotalSeconds:0} s"), options.FailoverGoal.TotalSeconds)]);
            md.AppendLine("![write recovery per trial](raft-failover.svg)").AppendLine();
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "raft.md"), md.ToString(), ct);
        var json = JsonSerializer.Serialize(new
        {
            measuredUtc = DateTime.UtcNow,
            cores = Environment.ProcessorCount,
            host = Host is { } h ? new { syncAloneP50Us = Math.Round(h.Alone.P50Us), syncAloneP99Us = Math.Round(h.Alone.P99Us), syncThreeAtOnceP50Us = Math.Round(h.ThreeAtOnce.P50Us), syncThreeAtOnceP99Us = Math.Round(h.ThreeAtOnce.P99Us), cpuWorkMs = Math.Round(h.CpuWorkMs) } : null,
            membership = _memberLists.Select(m => new { cluster = m.Side, threeStartedVoters = m.Ok }),
            rounds = options.Rounds,
            writes = _writes.Select(w => new { cluster = w.Side, round = w.Round, w.Run.Clients, w.Run.Writes, w.Run.Errors, writesPerSecond = Math.Round(w.Run.WritesPerSecond), p50Ms = w.Run.Latency.Ms(50), p99Ms = w.Run.Latency.Ms(99), p999Ms = w.Run.Latency.Ms(99.9), maxMs = w.Run.Latency.MaxMs, cpuCores = w.Run.StoreCpuSeconds / w.Run.Seconds, hostProbeMs = _probes.Where(p => p.Side == w.Side && p.Clients == w.Run.Clients && p.Round == w.Round).Select(p => (double?)Math.Round(p.Ms)).FirstOrDefault(), snapshotsWritten = _snapshotWrites.Where(l => l.Side == w.Side && l.Clients == w.Run.Clients && l.Round == w.Round).SelectMany(l => l.Writes).Select(x => new { member = x.Member, index = x.Index, bytes = x.Bytes, started = x.Started, ended = x.Ended }) }),
            ratios = options.ClientLevels.Select(c => new { clients = c, k3sOverEtcd = Ratio(c), perRound = RoundRatios(c) }),
            checkPerf = _checks.Select(c => new { cluster = c.Side, c.Run.Load, c.Run.Passed, c.Run.WritesPerSecond, c.Run.SlowestSeconds, c.Run.StddevSeconds }),
            memory = _memory.Select(m => new { cluster = m.Side, m.Stage, m.Keys, members = m.Members.Select(x => new { member = x.Member, rssMiB = Math.Round(x.RssMiB), peakMiB = Math.Round(x.PeakMiB) }) }),
            failover = _failovers.Select(f => new { cluster = f.Side, recoverySeconds = f.Trials.Select(t => Math.Round(t.RecoverySeconds, 4)), withinGoal = f.Trials.Count(t => t.RecoverySeconds <= options.FailoverGoal.TotalSeconds) }),
        });
        await File.WriteAllTextAsync(Path.Combine(directory, "raft.json"), json + "\n", ct);
        Console.Write(md.ToString());
    }

    private string Label(string side, int round) => options.Rounds > 1 ? string.Create(Inv, $"{side} r{round}") : side;

    private WriteLevel? Level(string side, int clients, int round) =>
        _writes.FirstOrDefault(w => w.Side == side && w.Run.Clients == clients && w.Round == round).Run;

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    private static double? Percentile(List<double> sorted, double percentile) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Seconds(double? value) => value is { } v ? string.Create(Inv, $"{v:0.000} s") : "–";

    private static string HostName()
    {
        try
        {
            var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
            return $"{model}, {Environment.OSVersion.VersionString}";
        }
        catch (IOException)
        {
            return Environment.OSVersion.VersionString;
        }
    }
}
