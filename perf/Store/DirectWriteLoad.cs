using System.Diagnostics;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Perf.Load;

namespace K3sLab.Perf.Store;

/// <summary>
/// <see cref="WriteLoad"/>'s closed loop of puts with <see cref="DirectUnaryConnection"/>: one thread and one
/// connection per client, each sending its next put as soon as the last one is answered. The same keys, values and
/// measures as the <c>Grpc.Net.Client</c> loop. A failed connection counts one error and is replaced.
/// </summary>
internal static class DirectWriteLoad
{
    private const string PutPath = "/etcdserverpb.KV/Put";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static async Task<WriteLevel> RunAsync(string address, Func<double> cpuSeconds, int clients, TimeSpan duration, long maxWrites)
    {
        var prefix = $"/perf/w{clients}/";
        var connections = new DirectUnaryConnection?[clients];
        try
        {
            // Connect and warm up: one untimed put per connection so connection setup is not measured.
            for (var i = 0; i < clients; i++)
            {
                connections[i] = DirectUnaryConnection.Open(address, PutPath, CallTimeout);
                var (status, message) = connections[i]!.Call(new PutRequest { Key = Payloads.Key(prefix + "warm/", i), Value = Payloads.Value });
                if (status != 0)
                {
                    throw new InvalidOperationException($"the warm-up put through {address} failed: gRPC status {status}: {message}");
                }
            }

            var issued = 0L;
            var errors = 0L;
            string? firstError = null;
            var parts = new Latencies[clients];
            var kinds = new ErrorKinds();
            var cpuBefore = cpuSeconds();
            var clock = Stopwatch.StartNew();
            var timeline = Timeline.StartNow();
            var threads = Enumerable.Range(0, clients).Select(i => new Thread(() =>
            {
                var latencies = parts[i] = new Latencies();
                var random = new Random(i);
                while (clock.Elapsed < duration && Interlocked.Increment(ref issued) <= maxWrites)
                {
                    var connection = connections[i];
                    if (connection is null && !TryReconnect(connections, i, address, kinds, ref errors, ref firstError, timeline, out connection))
                    {
                        continue;
                    }

                    var request = new PutRequest { Key = Payloads.Key(prefix, random.NextInt64()), Value = Payloads.Value };
                    var start = Stopwatch.GetTimestamp();
                    string? failure;
                    string kind;
                    try
                    {
                        var (status, message) = connection!.Call(request);
                        if (status == 0)
                        {
                            var end = Stopwatch.GetTimestamp();
                            var elapsed = Stopwatch.GetElapsedTime(start, end);
                            latencies.Record(elapsed);
                            timeline.Record(end, elapsed);
                            continue;
                        }

                        kind = "gRPC " + (Grpc.Core.StatusCode)status;
                        failure = $"{(Grpc.Core.StatusCode)status}: {message}";
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                    {
                        kind = "transport: " + e.GetType().Name;
                        failure = e.Message;
                        connection!.Dispose();
                        connections[i] = null;
                    }

                    timeline.Error(Stopwatch.GetTimestamp());
                    kinds.Add(kind);
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, failure, null);
                }
            }, maxStackSize: 256 * 1024) { IsBackground = true, Name = $"put client {i}" }).ToList();

            threads.ForEach(t => t.Start());
            await Task.Run(() => threads.ForEach(t => t.Join())).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            var latency = Latencies.Merge(parts);
            return new WriteLevel(clients, latency.Count, errors, firstError, seconds, latency, cpuSeconds() - cpuBefore) { Timeline = timeline, ErrorKinds = kinds };
        }
        finally
        {
            // A slot is null only after its connection failed and could not be replaced.
            foreach (var connection in connections)
            {
                connection?.Dispose();
            }
        }
    }

    /// <summary>Opens a replacement connection for slot <paramref name="i"/>; a failure counts as one error and waits 100 ms.</summary>
    private static bool TryReconnect(DirectUnaryConnection?[] connections, int i, string address, ErrorKinds kinds, ref long errors, ref string? firstError, Timeline timeline, out DirectUnaryConnection? connection)
    {
        connection = null;
        try
        {
            connection = connections[i] = DirectUnaryConnection.Open(address, PutPath, CallTimeout);
            return true;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            timeline.Error(Stopwatch.GetTimestamp());
            kinds.Add("transport: connect");
            Interlocked.Increment(ref errors);
            Interlocked.CompareExchange(ref firstError, e.Message, null);
            Thread.Sleep(100);
            return false;
        }
    }
}
