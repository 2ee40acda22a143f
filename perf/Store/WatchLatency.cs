using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using K3sLab.K3s.Etcd.Wire;

namespace K3sLab.Perf.Store;

/// <summary>What the watch-delivery run measured.</summary>
internal sealed record WatchRun(int Watchers, int Puts, long Expected, long Delivered, Latencies Latency, double StoreCpuSeconds);

/// <summary>
/// Delivery latency to many watchers: <c>streams × perStream</c> watches on one prefix (one connection per stream,
/// as separate clients would hold), then puts at a fixed rate, each carrying its send time; every delivery to every
/// watcher records now minus that time. Also counts deliveries, so a store that drops events shows it.
/// </summary>
internal static class WatchLatency
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    public static async Task<WatchRun> RunAsync(StoreProcess store, int streams, int perStream, int putsPerSecond, TimeSpan duration, CancellationToken ct)
    {
        var key = ByteString.CopyFromUtf8("/perf/watch/");
        var end = ByteString.CopyFromUtf8("/perf/watch0");
        using var channels = new Channels(store.Address, streams + 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var calls = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        var parts = new Latencies[streams];
        var delivered = 0L;
        var readers = new List<Task>();
        try
        {
            for (var s = 0; s < streams; s++)
            {
                var call = new Watch.WatchClient(channels[s]).Watch(cancellationToken: stop.Token);
                calls.Add(call);
                for (var w = 0; w < perStream; w++)
                {
                    await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = end } }, ct);
                }

                for (var created = 0; created < perStream;)
                {
                    if (!await call.ResponseStream.MoveNext(ct))
                    {
                        throw new InvalidOperationException($"{store.Name} closed a watch stream while creating watchers");
                    }

                    created += call.ResponseStream.Current.Created ? 1 : 0;
                }

                var latencies = parts[s] = new Latencies();
                readers.Add(ReadAsync(call, latencies, () => Interlocked.Increment(ref delivered), stop.Token));
            }

            var watchers = streams * perStream;
            var puts = (int)(putsPerSecond * duration.TotalSeconds);
            var kv = new KV.KVClient(channels[streams]);
            var cpuBefore = store.CpuSeconds();
            var clock = Stopwatch.StartNew();
            var value = new byte[Payloads.ValueBytes];
            for (var i = 0; i < puts; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / putsPerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, ct);
                }

                BinaryPrimitives.WriteInt64LittleEndian(value, Stopwatch.GetTimestamp());
                await kv.PutAsync(new PutRequest { Key = Payloads.Key("/perf/watch/", i), Value = ByteString.CopyFrom(value) }, cancellationToken: ct);
            }

            var expected = (long)puts * watchers;
            var drain = Stopwatch.StartNew();
            while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < DrainTimeout)
            {
                await Task.Delay(20, ct);
            }

            var cpu = store.CpuSeconds() - cpuBefore;
            await StopReadersAsync(stop, calls, readers);
            return new WatchRun(watchers, puts, expected, Interlocked.Read(ref delivered), Latencies.Merge(parts.Where(p => p is not null)), cpu);
        }
        finally
        {
            await StopReadersAsync(stop, calls, readers);
        }
    }

    private static async Task StopReadersAsync(CancellationTokenSource stop, List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>> calls, List<Task> readers)
    {
        await stop.CancelAsync();
        foreach (var call in calls)
        {
            call.Dispose();
        }

        await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    private static async Task ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, Latencies latencies, Action onDelivery, CancellationToken ct)
    {
        while (await call.ResponseStream.MoveNext(ct))
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var e in call.ResponseStream.Current.Events)
            {
                var sent = BinaryPrimitives.ReadInt64LittleEndian(e.Kv.Value.Span);
                latencies.Record(Stopwatch.GetElapsedTime(sent, now));
                onDelivery();
            }
        }
    }
}
