using System.Diagnostics;
using K3sLab.Lab.Bench;
using K3sLab.Perf.Load;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Api;

/// <summary>
/// An open model: each request is sent when <see cref="ArrivalSchedule"/> says it is due, whether or not earlier ones
/// have been answered, with at most <c>inFlight</c> outstanding (beyond that the generator, not the server, holds
/// requests back, and says so). Latency is timed from the scheduled moment (coordinated-omission correction: a
/// stall counts against every request it delayed) and, apart, from the actual send. Per second of the phase it keeps
/// what was asked, sent and answered, so a report shows where the server stopped keeping up.
/// </summary>
internal static class OpenLoop
{
    /// <summary>A request sent this much after its due time was held back by the in-flight bound, not by timer jitter.</summary>
    private static readonly TimeSpan HeldBackAfter = TimeSpan.FromMilliseconds(20);

    public static async Task<OpenLoopRun> RunAsync(IApiTarget server, AdminConnections connections, string phase, ArrivalSchedule schedule, int inFlight, TimeSpan timeout, ApiOperation operation, CancellationToken ct)
    {
        var count = schedule.Count;
        var seconds = (int)Math.Ceiling(schedule.Duration.TotalSeconds);
        var sentPerSecond = new long[seconds + 1];
        var fromSchedule = new Latencies();
        var fromSend = new Latencies();
        var gate = new Lock();
        var errors = 0L;
        var heldBack = 0L;
        string? firstError = null;
        var kinds = new ErrorKinds();
        var cpuBefore = server.CpuSeconds();
        var clientCpuBefore = Environment.CpuUsage.TotalTime;
        var origin = Stopwatch.GetTimestamp();
        var timeline = Timeline.StartingAt(origin);

        // Not disposed: a cancelled run leaves requests in flight that still release it.
        var slots = new SemaphoreSlim(inFlight);
        var requests = new List<Task>(count);
        var sent = 0;
        for (var i = 0; i < count; i++)
        {
            var dueAt = schedule.DueAt(i);
            var wait = dueAt - Stopwatch.GetElapsedTime(origin);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }

            await slots.WaitAsync(ct);
            var sendAt = Stopwatch.GetTimestamp();
            var late = Stopwatch.GetElapsedTime(origin, sendAt) - dueAt;
            if (late > timeout)
            {
                slots.Release();
                break;
            }

            if (late > HeldBackAfter)
            {
                heldBack++;
            }

            sentPerSecond[Math.Min(seconds, (int)Stopwatch.GetElapsedTime(origin, sendAt).TotalSeconds)]++;
            sent++;
            requests.Add(SendAsync(i, dueAt, sendAt));
        }

        await Task.WhenAll(requests);
        var elapsed = Stopwatch.GetElapsedTime(origin).TotalSeconds;
        var unsent = count - sent;
        if (unsent > 0)
        {
            firstError ??= $"{unsent} of {count} requests could not be sent within {timeout.TotalSeconds:0} s of their due time";
            kinds.Add("not sent in time", unsent);
        }

        var run = new PhaseRun(phase, inFlight, count, fromSchedule.Count, errors + unsent, firstError, elapsed, fromSchedule, server.CpuSeconds() - cpuBefore, server.RssMiB(), (Environment.CpuUsage.TotalTime - clientCpuBefore).TotalSeconds)
        {
            Timeline = timeline,
            ErrorKinds = kinds,
        };
        return new OpenLoopRun(run, schedule, fromSend, sentPerSecond, heldBack);

        async Task SendAsync(int index, TimeSpan dueAt, long sendAt)
        {
            await Task.Yield();
            string? error;
            string? kind = null;
            try
            {
                error = await operation(connections[index % connections.Count], index, ct);
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
            finally
            {
                slots.Release();
            }

            var end = Stopwatch.GetTimestamp();
            if (error is null)
            {
                // From the due time, or from the send when a timer let it go out early (up to a millisecond).
                var fromSent = Stopwatch.GetElapsedTime(sendAt, end);
                var scheduled = TimeSpan.FromTicks(Math.Max((Stopwatch.GetElapsedTime(origin, end) - dueAt).Ticks, fromSent.Ticks));
                lock (gate)
                {
                    fromSchedule.Record(scheduled);
                    fromSend.Record(fromSent);
                }

                timeline.Record(end, scheduled);
            }
            else
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, error, null);
                kinds.Add(kind ?? ErrorKinds.OfDescription(error));
                timeline.Error(end);
            }
        }
    }
}

/// <summary>
/// What an open-model phase measured: <see cref="Run"/> holds the successes with their latency from the scheduled
/// moment (its percentiles are the coordinated-omission-corrected ones) and the per-second answers; beside it the
/// latency from the actual send, what was sent per second, and how many requests the in-flight bound held back.
/// </summary>
internal sealed record OpenLoopRun(PhaseRun Run, ArrivalSchedule Schedule, Latencies FromSend, IReadOnlyList<long> SentPerSecond, long HeldBack)
{
    /// <summary>
    /// The first second in which fewer than 90 % of the asked requests were answered, with the rate answered then:
    /// where the server (or, when <see cref="HeldBack"/> is not 0, the generator's in-flight bound) stopped keeping up.
    /// Null when every second kept up.
    /// </summary>
    public (int Second, double Asked, double Answered)? FellBehind()
    {
        var intervals = Run.Timeline?.Intervals() ?? [];
        var seconds = (int)Math.Ceiling(Schedule.Duration.TotalSeconds);
        for (var s = 0; s < Math.Min(seconds, intervals.Count); s++)
        {
            var asked = Schedule.Arrived(s + 1) - Schedule.Arrived(s);
            var answered = intervals[s].Succeeded;
            if (answered < 0.9 * asked)
            {
                return (s, asked, answered);
            }
        }

        return null;
    }
}
