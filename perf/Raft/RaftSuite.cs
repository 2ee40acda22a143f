using K3sLab.Lab;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Raft;

/// <summary>
/// The replicated datastore benchmarks: a 3-member etcd 3.4 cluster and our 3-member <c>k3s datastore member</c>
/// cluster side by side in one run: etcdctl's view of the membership, closed-loop put levels through the leader,
/// etcdctl's own <c>check perf</c>, then leader-kill failover trials on each. Writes <c>raft.md</c> and
/// <c>raft.json</c>. Exit 1 when ours refuses writes or is not three started voters; otherwise exit 3 when (with a
/// floor) it falls under that fraction of etcd's throughput, a speed verdict alone that a caller may measure again.
/// </summary>
internal static class RaftSuite
{
    /// <summary>The exit code of a run whose only failure is the throughput floor.</summary>
    public const int SpeedOnlyExitCode = 3;

    private static readonly TimeSpan CalibrationProbe = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string outputDirectory, RaftSuiteOptions options, double minRatio, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        if (!File.Exists("/usr/bin/etcd") || !File.Exists("/usr/bin/etcdctl"))
        {
            await Console.Error.WriteLineAsync("error: the raft suite compares against real etcd: install Debian's etcd-server and etcd-client (./test.sh does).");
            return 1;
        }

        ClusterUnderTest.SharedFlags = options.SnapshotCount is { } count ? ["--snapshot-count", count.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
        var report = new RaftReport(options, k3s);

        // Before any member runs, so the probes have the host to themselves.
        report.Host = HostCalibration.Measure(CalibrationProbe);
        Progress($"host: {report.Host.Summary}");
        var starters = new (string Side, Func<CancellationToken, Task<ClusterUnderTest>> Start)[]
        {
            ("etcd", ClusterUnderTest.StartEtcdAsync),
            ("k3s", token => ClusterUnderTest.StartOursAsync(k3s, token)),
        };

        if (options.Rounds > 1)
        {
            await RunRoundsAsync(report, options, k3s, ct);
        }

        foreach (var (side, start) in starters)
        {
            // One fresh cluster per side for the put levels and check perf, another for the failover trials.
            if (options.Rounds == 1)
            {
                await using var cluster = await start(ct);
                await MemberListAsync(report, cluster, ct);
                foreach (var clients in options.ClientLevels)
                {
                    await LevelAsync(report, cluster, clients, 1, options, side == "k3s" ? cluster : null, ct);
                }

                Memory(report, cluster, "after the put levels");
                await CheckPerfAsync(report, cluster, options, ct);
                Memory(report, cluster, "after check perf");
            }

            if (options.FailoverTrials == 0)
            {
                continue;
            }

            await using (var cluster = await start(ct))
            {
                var trials = await Failover.RunAsync(cluster, options.FailoverTrials, options.SteadyBeforeKill, t =>
                    Progress($"{side}: failover {t.Trial}: killed {t.Killed}, writes through {t.WrittenThrough} resumed after {t.RecoverySeconds * 1000:0} ms ({t.FailedAttempts} failed attempts)"), ct);
                report.Add(side, trials);
            }
        }

        await report.WriteAsync(outputDirectory, ct);
        var broken = report.CorrectnessFailures();
        var slow = report.FloorFailures(minRatio);
        foreach (var failure in broken.Concat(slow))
        {
            await Console.Error.WriteLineAsync($"gate failed: {failure}");
        }

        return broken.Count > 0 ? 1 : slow.Count > 0 ? SpeedOnlyExitCode : 0;
    }

    /// <summary>
    /// Both clusters at once; every round runs each level on both, alternating which goes first. The idle cluster
    /// only exchanges heartbeats meanwhile.
    /// </summary>
    private static async Task RunRoundsAsync(RaftReport report, RaftSuiteOptions options, string k3s, CancellationToken ct)
    {
        await using var etcd = await ClusterUnderTest.StartEtcdAsync(ct);
        await using var ours = await ClusterUnderTest.StartOursAsync(k3s, ct);
        await MemberListAsync(report, etcd, ct);
        await MemberListAsync(report, ours, ct);
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var clients in options.ClientLevels)
            {
                foreach (var cluster in round % 2 == 1 ? new[] { etcd, ours } : [ours, etcd])
                {
                    await LevelAsync(report, cluster, clients, round, options, ours, ct);
                }
            }
        }

        Memory(report, etcd, "after the put rounds");
        Memory(report, ours, "after the put rounds");
        await CheckPerfAsync(report, etcd, options, ct);
        await CheckPerfAsync(report, ours, options, ct);
        Memory(report, etcd, "after check perf");
        Memory(report, ours, "after check perf");
    }

    private static void Memory(RaftReport report, ClusterUnderTest cluster, string stage)
    {
        var members = cluster.Members.Select(m => (m.Name, Memory: m.Memory())).Where(m => m.Memory is not null)
            .Select(m => (m.Name, m.Memory!.Value.RssMiB, m.Memory.Value.PeakMiB)).ToList();
        var keys = report.KeysPut(cluster.Side);
        report.AddMemory(cluster.Side, stage, keys, members);
        Progress($"{cluster.Side}: {stage} ({keys:N0} keys put): RSS {string.Join(" / ", members.Select(m => $"{m.RssMiB:0}"))} MiB, peak {string.Join(" / ", members.Select(m => $"{m.PeakMiB:0}"))} MiB");
    }

    private static async Task MemberListAsync(RaftReport report, ClusterUnderTest cluster, CancellationToken ct)
    {
        var (ok, table) = await cluster.MemberListAsync(ct);
        report.AddMemberList(cluster.Side, ok, table);
        Progress($"{cluster.Title}: {(ok ? "3 started voters" : "NOT 3 started voters:\n" + table)}");
    }

    /// <summary>
    /// One level on <paramref name="cluster"/>. <paramref name="ours"/>, when it is running, is asked which of its
    /// members wrote a snapshot during the level: the members share the host's disk and CPU, so a snapshot written by
    /// ours (even while it idles beside etcd's level) slows the level whoever serves it.
    /// </summary>
    private static async Task LevelAsync(RaftReport report, ClusterUnderTest cluster, int clients, int round, RaftSuiteOptions options, ClusterUnderTest? ours, CancellationToken ct)
    {
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), ct);
        var probe = HostCalibration.CpuWork();
        report.AddProbe(cluster.Side, clients, round, probe);
        var started = DateTime.UtcNow;
        var level = await WriteLoad.RunAsync(leader.ClientUrl, cluster.CpuSeconds, clients, options.LevelDuration, options.Client, ct);
        var snapshots = ours?.Members.SelectMany(m => m.SnapshotWritesDuring(started, DateTime.UtcNow)).ToList() ?? [];
        report.Add(cluster.Side, level, round);
        report.AddSnapshotWrites(cluster.Side, clients, round, snapshots);
        var which = options.Rounds > 1 ? $"round {round}, " : string.Empty;
        var during = snapshots.Count == 0 ? string.Empty : $"; snapshots written during it: {string.Join(", ", snapshots.Select(s => s.Describe()))}";
        Progress($"{cluster.Side}: {which}{clients} clients: {level.WritesPerSecond:0} w/s, p50 {level.Latency.Ms(50):0.00} ms, p99 {level.Latency.Ms(99):0.00} ms, p99.9 {level.Latency.Ms(99.9):0.00} ms, CPU {level.StoreCpuSeconds / level.Seconds:0.00} cores, errors {level.Errors}; host probe {probe:0} ms{during}");
    }

    private static async Task CheckPerfAsync(RaftReport report, ClusterUnderTest cluster, RaftSuiteOptions options, CancellationToken ct)
    {
        foreach (var load in options.CheckPerfLoads)
        {
            var check = await CheckPerf.RunAsync(cluster.Endpoints, load, ct);
            report.Add(cluster.Side, check);
            Progress($"{cluster.Side}: check perf --load={load}: {check.Verdicts}");
        }
    }

    private static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
