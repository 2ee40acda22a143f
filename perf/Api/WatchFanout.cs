using System.Diagnostics;
using System.Globalization;
using System.Net;
using K3sLab.Perf.Load;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Api;

/// <summary>
/// Many watchers on one namespace: <c>watchers</c> HTTP/2 watch streams (<c>?watch=1&amp;resourceVersion=</c> the
/// namespace's current version, as an informer watches after its list) spread over a few connections, then one
/// writer creating stamped ConfigMaps at a fixed rate: an open model that sends each create on schedule, with up to
/// <see cref="ApiSuiteOptions.WatchWritesInFlight"/> in flight, so a slow create does not slow the ones after it.
/// Every watcher must see every create exactly once and in commit order; each delivery's latency is timed against
/// the writer's send and acknowledgement of that create.
/// </summary>
internal static class WatchFanout
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    public static async Task<WatchFanoutRun> RunAsync(IApiTarget server, AdminConnections control, ApiSuiteOptions options, WatchLevel level, CancellationToken ct)
    {
        var watchers = level.Watchers;
        var ns = string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-watch-{watchers}-at-{level.WritesPerSecond}");
        var created = await ApiRequests.CreateNamespaceAsync(control[0], ns, ct);
        if (created is not null)
        {
            throw new InvalidOperationException($"could not create namespace {ns}: {created}");
        }

        // The server sends a watch's response headers only with its first event, so each watch starts just before
        // a primer object: its ADDED event establishes the stream before anything is timed.
        var version = await ApiRequests.ResourceVersionAsync(control[0], ns, ct);
        var primed = await ApiRequests.CreateAsync(control[0], ns, "primer", ct);
        if (primed is not null)
        {
            throw new InvalidOperationException($"could not create the primer object in {ns}: {primed}");
        }

        var writes = (int)(level.WritesPerSecond * options.WatchDuration.TotalSeconds);
        var connectionCount = Math.Max(1, (watchers + options.WatchersPerConnection - 1) / options.WatchersPerConnection);
        using var connections = new AdminConnections(server, connectionCount, HttpVersion.Version20, Timeout.InfiniteTimeSpan);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streams = Enumerable.Range(0, watchers).Select(_ => new WatchStream(writes)).ToArray();
        var responses = new HttpResponseMessage?[watchers];
        var readers = new List<Task>();
        var delivered = 0L;
        try
        {
            using (var starting = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                starting.CancelAfter(StartTimeout);
                var path = $"{ConfigMaps.Collection(ns)}?watch=1&resourceVersion={version}";
                await Task.WhenAll(Enumerable.Range(0, watchers).Select(async i =>
                {
                    var response = responses[i] = await connections[i].GetAsync(path, HttpCompletionOption.ResponseHeadersRead, starting.Token);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"watch {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(starting.Token)}");
                    }

                    var body = await response.Content.ReadAsStreamAsync(starting.Token);
                    lock (readers)
                    {
                        readers.Add(streams[i].ReadAsync(body, () => Interlocked.Increment(ref delivered), stop.Token));
                    }
                }));
            }

            var sent = new long[writes];
            var acked = new long[writes];
            var writeLatency = new Latencies();
            var writeFromSchedule = new Latencies();
            var writeErrors = 0L;
            string? firstError = null;
            var cpuBefore = server.CpuSeconds();
            var clientCpuBefore = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            var origin = Stopwatch.GetTimestamp();
            // Not disposed: a cancelled run leaves creates in flight that still release it; without a wait handle
            // taken, a SemaphoreSlim holds nothing to free.
            var inFlight = new SemaphoreSlim(options.WatchWritesInFlight);
            var creates = new List<Task>(writes);
            for (var i = 0; i < writes; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / level.WritesPerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, ct);
                }

                await inFlight.WaitAsync(ct);
                creates.Add(CreateAsync(i));
            }

            await Task.WhenAll(creates);
            var writing = clock.Elapsed.TotalSeconds;
            var produced = writes / Math.Max(writing, 1e-9);
            if (writes > 1 && produced < 0.9 * level.WritesPerSecond)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"warning: asked for {level.WritesPerSecond} writes/s with {watchers} watchers, but this host produced {produced:0}/s with up to {options.WatchWritesInFlight} creates in flight (p50 {writeLatency.Ms(50):0.0} ms per create): the rate is out of reach here, and the figures are for {produced:0}/s"));
            }

            var expected = (long)writes * watchers;
            var drain = Stopwatch.StartNew();
            while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < DrainTimeout && streams.All(s => s.Error is null))
            {
                await Task.Delay(20, ct);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = server.CpuSeconds() - cpuBefore;
            var rss = server.RssMiB();
            var clientCpu = (Environment.CpuUsage.TotalTime - clientCpuBefore).TotalSeconds;
            await StopAsync(stop, responses, readers);

            var lastReceipt = streams.SelectMany(st => st.Received).DefaultIfEmpty(0).Max();
            var deliveredPerSecond = writes == 0 || lastReceipt <= sent[0] ? 0 : streams.Sum(st => (long)st.Delivered) / Stopwatch.GetElapsedTime(sent[0], lastReceipt).TotalSeconds;
            var fromSend = new Latencies();
            var fromAck = new Latencies();
            var deliveries = Timeline.StartingAt(origin);
            foreach (var stream in streams)
            {
                for (var i = 0; i < writes; i++)
                {
                    if (stream.Received[i] != 0)
                    {
                        var latency = Stopwatch.GetElapsedTime(sent[i], stream.Received[i]);
                        fromSend.Record(latency);
                        deliveries.Record(stream.Received[i], latency);
                        fromAck.Record(stream.Received[i] > acked[i] ? Stopwatch.GetElapsedTime(acked[i], stream.Received[i]) : TimeSpan.Zero);
                    }
                }
            }

            firstError ??= streams.Select(s => s.Error).FirstOrDefault(e => e is not null);
            return new WatchFanoutRun(
                watchers,
                level.WritesPerSecond,
                produced,
                deliveredPerSecond,
                connectionCount,
                writes,
                expected,
                streams.Sum(s => (long)s.Delivered),
                streams.Sum(s => (long)s.Duplicates),
                streams.Sum(s => (long)s.OutOfOrder),
                writeErrors,
                firstError,
                seconds,
                fromSend,
                fromAck,
                writeLatency,
                cpu,
                rss,
                clientCpu)
            {
                Deliveries = deliveries,
                WriteFromSchedule = writeFromSchedule,
            };

            async Task CreateAsync(int i)
            {
                try
                {
                    sent[i] = Stopwatch.GetTimestamp();
                    using var response = await control[0].PostAsync(ConfigMaps.Collection(ns), ConfigMaps.StampedBody(ConfigMaps.Name(i), i, sent[i]), ct);
                    await response.Content.LoadIntoBufferAsync(ct);
                    acked[i] = Stopwatch.GetTimestamp();
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        // From the moment the open model meant to send it, so a writer held back by the in-flight
                        // bound (or a stalled server) shows in the figure instead of being omitted.
                        var scheduled = origin + (long)((double)i / level.WritesPerSecond * Stopwatch.Frequency);
                        lock (writeLatency)
                        {
                            writeLatency.Record(Stopwatch.GetElapsedTime(sent[i], acked[i]));
                            writeFromSchedule.Record(Stopwatch.GetElapsedTime(Math.Min(scheduled, sent[i]), acked[i]));
                        }
                    }
                    else
                    {
                        var error = $"create {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}";
                        Interlocked.Increment(ref writeErrors);
                        Interlocked.CompareExchange(ref firstError, error, null);
                    }
                }
                catch (HttpRequestException e)
                {
                    acked[i] = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref writeErrors);
                    Interlocked.CompareExchange(ref firstError, $"create {i} failed: {e.Message}", null);
                }
                finally
                {
                    inFlight.Release();
                }
            }
        }
        finally
        {
            await StopAsync(stop, responses, readers);
        }
    }

    private static async Task StopAsync(CancellationTokenSource stop, HttpResponseMessage?[] responses, List<Task> readers)
    {
        await stop.CancelAsync();
        foreach (var response in responses)
        {
            response?.Dispose();
        }

        Task[] all;
        lock (readers)
        {
            all = [.. readers];
        }

        await Task.WhenAll(all.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
    }
}
