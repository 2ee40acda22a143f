using System.Diagnostics;
using Grpc.Core;
using K3sLab.K3s.Etcd.Wire;

namespace K3sLab.Perf.Store;

/// <summary>What the churn run measured.</summary>
internal sealed record ChurnRun(
    long Revisions,
    int Keys,
    long Errors,
    string? FirstError,
    double Seconds,
    Latencies All,
    Latencies DuringCompaction,
    Latencies Outside,
    int Compactions,
    double CompactingSeconds,
    long MaxDiskBytes,
    IReadOnlyList<(long Revisions, long DiskBytes)> DiskSamples);

/// <summary>
/// Churn on a small key set with compaction running: <c>clients</c> closed-loop writers overwrite 1,000 keys (1 KiB
/// values) until the store has taken <c>revisions</c> writes, while every <c>compactEvery</c> the suite compacts to
/// the newest revision minus <c>retain</c> through the API, as the kube-apiserver's compactor does. A compaction counts
/// as running from the Compact call until the store logs that it finished deleting history (etcd: "finished scheduled
/// compaction"; ours: "Compacted history through revision"), and each write is filed by whether one was running when it
/// started. The files on disk are sampled every second.
/// </summary>
internal static class Churn
{
    public static async Task<ChurnRun> RunAsync(StoreProcess store, long revisions, int keys, int clients, TimeSpan compactEvery, long retain, CancellationToken ct)
    {
        using var channels = new Channels(store.Address, clients + 1);
        var kvs = Enumerable.Range(0, clients).Select(i => new KV.KVClient(channels[i])).ToArray();
        var compacting = 0;
        var compactingTicks = 0L;
        var compactStarted = 0L;
        void OnLine(string line)
        {
            if (line.Contains("finished scheduled compaction", StringComparison.Ordinal) || line.Contains("Compacted history through revision", StringComparison.Ordinal))
            {
                if (Interlocked.Exchange(ref compacting, 0) == 1)
                {
                    Interlocked.Add(ref compactingTicks, Stopwatch.GetTimestamp() - Interlocked.Read(ref compactStarted));
                }
            }
        }

        store.LineLogged += OnLine;
        try
        {
            var issued = 0L;
            var newest = 0L;
            var errors = 0L;
            string? firstError = null;
            var during = new Latencies[clients];
            var outside = new Latencies[clients];
            using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var samples = new List<(long, long)>();
            var maxDisk = 0L;
            var compactions = 0;
            var clock = Stopwatch.StartNew();

            var sampler = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await Wait(timer, done.Token))
                {
                    var bytes = store.DiskBytes();
                    maxDisk = Math.Max(maxDisk, bytes);
                    samples.Add((Math.Min(Interlocked.Read(ref issued), revisions), bytes));
                }
            }, CancellationToken.None);

            var compactor = Task.Run(async () =>
            {
                var kv = new KV.KVClient(channels[clients]);
                using var timer = new PeriodicTimer(compactEvery);
                while (await Wait(timer, done.Token))
                {
                    var target = Interlocked.Read(ref newest) - retain;
                    if (target <= 0 || Volatile.Read(ref compacting) == 1)
                    {
                        continue;
                    }

                    Interlocked.Exchange(ref compactStarted, Stopwatch.GetTimestamp());
                    Volatile.Write(ref compacting, 1);
                    try
                    {
                        await kv.CompactAsync(new CompactionRequest { Revision = target }, cancellationToken: done.Token);
                        compactions++;
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && done.IsCancellationRequested)
                    {
                        // The writes finished while this compaction was under way: the run is over, not failed.
                        break;
                    }
                    catch (RpcException e)
                    {
                        Volatile.Write(ref compacting, 0);
                        Interlocked.CompareExchange(ref firstError, $"compact: {e.StatusCode}: {e.Status.Detail}", null);
                    }
                }
            }, CancellationToken.None);

            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                var inside = during[i] = new Latencies();
                var rest = outside[i] = new Latencies();
                var random = new Random(i);
                while (Interlocked.Increment(ref issued) <= revisions)
                {
                    var request = new PutRequest { Key = Payloads.Key("/perf/churn/", random.Next(keys)), Value = Payloads.Value };
                    var whileCompacting = Volatile.Read(ref compacting) == 1;
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        var response = await kvs[i].PutAsync(request, cancellationToken: ct);
                        (whileCompacting ? inside : rest).RecordSince(start);
                        InterlockedMax(ref newest, response.Header.Revision);
                    }
                    catch (RpcException e)
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                    }
                }
            }));

            var seconds = clock.Elapsed.TotalSeconds;
            await done.CancelAsync();
            await Task.WhenAll(sampler, compactor);
            var insideAll = Latencies.Merge(during);
            var outsideAll = Latencies.Merge(outside);
            var all = Latencies.Merge([insideAll, outsideAll]);
            var compactingSeconds = Stopwatch.GetElapsedTime(0, Interlocked.Read(ref compactingTicks)).TotalSeconds;
            return new ChurnRun(all.Count, keys, errors, firstError, seconds, all, insideAll, outsideAll, compactions, compactingSeconds, maxDisk, samples);
        }
        finally
        {
            store.LineLogged -= OnLine;
        }
    }

    private static async Task<bool> Wait(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
