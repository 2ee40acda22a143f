using K3sLab.Lab;

namespace K3sLab.Perf.Store;

/// <summary>
/// The datastore benchmarks of issue 3, real etcd 3.4 (single member) and <c>k3s datastore serve</c> side by side in
/// one run, each phase on a fresh process of each: closed-loop write levels, watch delivery to many watchers, churn
/// with compaction, and etcdctl's own <c>check perf</c>. Writes <c>store.md</c> and <c>store.json</c>. Exit 1 when a
/// store loses writes or events, answers errors, or (ours) lets its files grow past the churn bound.
/// </summary>
internal static class StoreSuite
{
    public static async Task<int> RunAsync(string outputDirectory, StoreSuiteOptions options, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        if (!File.Exists("/usr/bin/etcd") || !File.Exists("/usr/bin/etcdctl"))
        {
            await Console.Error.WriteLineAsync("error: the store suite compares against real etcd: install Debian's etcd-server and etcd-client (./test.sh does).");
            return 1;
        }

        var report = new StoreReport(options, k3s);
        var starters = new (string Side, Func<CancellationToken, Task<StoreProcess>> Start)[]
        {
            ("etcd", StoreProcess.StartEtcdAsync),
            ("k3s", token => StoreProcess.StartDatastoreAsync(k3s, token)),
        };

        foreach (var clients in options.ClientLevels)
        {
            foreach (var (side, start) in starters)
            {
                await using var store = await start(ct);
                var level = await WriteLoad.RunAsync(store, clients, options.LevelDuration, ct);
                report.Add(side, level);
                Progress($"{store.Name}: {clients} clients: {level.WritesPerSecond:0} w/s, p50 {level.Latency.Ms(50):0.00} ms, p99 {level.Latency.Ms(99):0.00} ms, errors {level.Errors}");
            }
        }

        foreach (var (side, start) in starters)
        {
            await using var store = await start(ct);
            var watch = await WatchLatency.RunAsync(store, options.WatchStreams, options.WatchersPerStream, options.WatchPutsPerSecond, options.WatchDuration, ct);
            report.Add(side, watch);
            Progress($"{store.Name}: {watch.Watchers} watchers: {watch.Delivered}/{watch.Expected} delivered, p50 {watch.Latency.Ms(50):0.00} ms, p99 {watch.Latency.Ms(99):0.00} ms");
        }

        foreach (var (side, start) in starters)
        {
            await using var store = await start(ct);
            var churn = await Churn.RunAsync(store, options.ChurnRevisions, options.ChurnKeys, options.ChurnClients, options.CompactEvery, options.CompactRetain, ct);
            report.Add(side, churn);
            Progress($"{store.Name}: churn {churn.Revisions} revisions in {churn.Seconds:0} s, {churn.Compactions} compactions, max disk {churn.MaxDiskBytes / 1048576.0:0.0} MiB, p99 {churn.All.Ms(99):0.00} ms (compacting {churn.DuringCompaction.Ms(99):0.00} ms)");
        }

        foreach (var load in options.CheckPerfLoads)
        {
            foreach (var (side, start) in starters)
            {
                await using var store = await start(ct);
                var check = await CheckPerf.RunAsync(store, load, ct);
                report.Add(side, check);
                Progress($"{store.Name}: check perf --load={load}: {check.Verdicts}");
            }
        }

        await report.WriteAsync(outputDirectory, ct);
        var failures = report.Failures();
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"gate failed: {failure}");
        }

        return failures.Count == 0 ? 0 : 1;
    }

    private static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
