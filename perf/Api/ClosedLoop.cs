using System.Diagnostics;
using K3sLab.Perf.Load;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Api;

/// <summary>One request of a closed loop: returns null when the server acknowledged it, else what went wrong.</summary>
internal delegate Task<string?> ApiOperation(HttpClient client, long index, CancellationToken ct);

/// <summary>
/// A closed loop: <c>clients</c> tasks spread over the connections, each sending its next request as soon as the
/// last one's response body has arrived, until <c>count</c> requests were issued or the time bound passed. Each
/// request gets a distinct index from 0, so operations can name what they create.
/// </summary>
internal static class ClosedLoop
{
    public static async Task<PhaseRun> RunAsync(IApiTarget server, AdminConnections connections, string phase, int clients, long count, TimeSpan timeout, ApiOperation operation, CancellationToken ct)
    {
        var issued = -1L;
        var errors = 0L;
        string? firstError = null;
        var parts = new Latencies[clients];
        var cpuBefore = server.CpuSeconds();
        var clientCpuBefore = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var timeline = Timeline.StartNow();
        var kinds = new ErrorKinds();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            await Task.Yield();
            var latencies = parts[i] = new Latencies();
            var client = connections[i];
            long index;
            while ((index = Interlocked.Increment(ref issued)) < count && clock.Elapsed < timeout)
            {
                var start = Stopwatch.GetTimestamp();
                string? error;
                string? kind = null;
                try
                {
                    error = await operation(client, index, ct);
                }
                catch (HttpRequestException e)
                {
                    error = e.Message;
                    kind = ErrorKinds.OfException(e);
                }
                catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
                {
                    error = $"no answer within the request timeout: {e.Message}";
                    kind = ErrorKinds.OfException(e);
                }

                var end = Stopwatch.GetTimestamp();
                if (error is null)
                {
                    var elapsed = Stopwatch.GetElapsedTime(start, end);
                    latencies.Record(elapsed);
                    timeline.Record(end, elapsed);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                    kinds.Add(kind ?? ErrorKinds.OfDescription(error));
                    timeline.Error(end);
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var latency = Latencies.Merge(parts);
        var sent = latency.Count + errors;
        var unsent = count - sent;
        if (unsent > 0)
        {
            // A request never sent is one the phase owed: it fails the run as an error would.
            firstError ??= $"only {sent} of {count} requests were sent within the {timeout.TotalSeconds:0} s bound";
            kinds.Add("not sent in time", unsent);
        }

        return new PhaseRun(phase, clients, count, latency.Count, errors + unsent, firstError, seconds, latency, server.CpuSeconds() - cpuBefore, server.RssMiB(), (Environment.CpuUsage.TotalTime - clientCpuBefore).TotalSeconds)
        {
            Timeline = timeline,
            ErrorKinds = kinds,
        };
    }
}
