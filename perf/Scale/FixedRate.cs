using System.Diagnostics;

namespace K3sLab.Perf.Scale;

/// <summary>
/// Starts an operation on a fixed schedule (<c>rate</c> per second) for a while, without waiting for earlier ones:
/// a slow server does not slow the offered load. Each operation gets its index and the timestamp it was due at, so
/// latency can be measured from when it should have started (no coordinated omission), or from when it did start if
/// that was earlier. Completes when every
/// started operation has.
/// </summary>
internal static class FixedRate
{
    public static async Task RunAsync(double rate, TimeSpan duration, Func<int, long, Task> operation, CancellationToken ct)
    {
        var started = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; ; i++)
        {
            var offset = TimeSpan.FromSeconds(i / rate);
            if (offset >= duration)
            {
                break;
            }

            var wait = offset - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            // A timer may fire up to a millisecond early; an operation started before its due time is measured from
            // its start, so latency is never shorter than the request itself took.
            var due = Math.Min(start + (long)(offset.TotalSeconds * Stopwatch.Frequency), Stopwatch.GetTimestamp());
            var index = i;
            started.Add(Task.Run(() => operation(index, due), ct));
        }

        await Task.WhenAll(started);
    }
}
