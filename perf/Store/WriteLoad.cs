using System.Diagnostics;
using Grpc.Core;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Perf.Load;

namespace K3sLab.Perf.Store;

/// <summary>What one closed-loop write level measured.</summary>
internal sealed record WriteLevel(int Clients, long Writes, long Errors, string? FirstError, double Seconds, Latencies Latency, double StoreCpuSeconds)
{
    public double WritesPerSecond => Writes / Seconds;

    /// <summary>Puts and failures per second of the level, by completion time.</summary>
    public Timeline? Timeline { get; init; }

    /// <summary>Failures by gRPC status code.</summary>
    public ErrorKinds ErrorKinds { get; init; } = new();

    /// <summary>This level as the shared load files see it, named <c>&lt;side&gt; put x&lt;clients&gt;</c>.</summary>
    public LoadSeries Series(string side) => new(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{side} put x{Clients}"), Latency, Timeline, Writes, Errors, WritesPerSecond, ErrorKinds);
}

/// <summary>
/// A closed loop of puts: <c>clients</c> tasks, each on its own connection, each sending its next put as soon as
/// the last one is acknowledged, for a fixed time (and never more than a fixed count). Keys are new each time
/// (a random 256-byte key, a 1 KiB value), as <c>etcdctl check perf</c> writes.
/// </summary>
internal static class WriteLoad
{
    private const long MaxWritesPerLevel = 5_000_000;

    public static Task<WriteLevel> RunAsync(StoreProcess store, int clients, TimeSpan duration, CancellationToken ct) =>
        RunAsync(store.Address, store.CpuSeconds, clients, duration, ct);

    /// <summary>The same loop against any gRPC address; <paramref name="cpuSeconds"/> reads the CPU the server side has used so far.</summary>
    public static Task<WriteLevel> RunAsync(string address, Func<double> cpuSeconds, int clients, TimeSpan duration, PutClient client, CancellationToken ct) =>
        client == PutClient.Direct ? DirectWriteLoad.RunAsync(address, cpuSeconds, clients, duration, MaxWritesPerLevel) : RunAsync(address, cpuSeconds, clients, duration, ct);

    private static async Task<WriteLevel> RunAsync(string address, Func<double> cpuSeconds, int clients, TimeSpan duration, CancellationToken ct)
    {
        using var channels = new Channels(address, clients);
        var prefix = $"/perf/w{clients}/";
        var kvs = Enumerable.Range(0, clients).Select(i => new KV.KVClient(channels[i])).ToArray();

        // Warm-up: one untimed put per connection so connection setup is not measured.
        await Task.WhenAll(kvs.Select((kv, i) => kv.PutAsync(new PutRequest { Key = Payloads.Key(prefix + "warm/", i), Value = Payloads.Value }, cancellationToken: ct).ResponseAsync));

        var issued = 0L;
        var errors = 0L;
        string? firstError = null;
        var parts = new Latencies[clients];
        var cpuBefore = cpuSeconds();
        var clock = Stopwatch.StartNew();
        var timeline = Timeline.StartNow();
        var kinds = new ErrorKinds();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var latencies = parts[i] = new Latencies();
            var random = new Random(i);
            while (clock.Elapsed < duration && Interlocked.Increment(ref issued) <= MaxWritesPerLevel)
            {
                var request = new PutRequest { Key = Payloads.Key(prefix, random.NextInt64()), Value = Payloads.Value };
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await kvs[i].PutAsync(request, cancellationToken: ct);
                    var end = Stopwatch.GetTimestamp();
                    var elapsed = Stopwatch.GetElapsedTime(start, end);
                    latencies.Record(elapsed);
                    timeline.Record(end, elapsed);
                }
                catch (RpcException e)
                {
                    timeline.Error(Stopwatch.GetTimestamp());
                    kinds.Add("gRPC " + e.StatusCode);
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{e.StatusCode}: {e.Status.Detail}", null);
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var latency = Latencies.Merge(parts);
        return new WriteLevel(clients, latency.Count, errors, firstError, seconds, latency, cpuSeconds() - cpuBefore) { Timeline = timeline, ErrorKinds = kinds };
    }
}
