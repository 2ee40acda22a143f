using System.Diagnostics;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>
/// The run's one clock: monotonic time since the run started (for histories and the timeline) and the wall time
/// it corresponds to (for reports). Operation call and return stamps are microseconds on this clock, so "A returned
/// before B was called" is decided on a single monotonic source.
/// </summary>
public sealed class RunClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Microseconds since the run started.</summary>
    public long Micros => (long)(Elapsed.Ticks / 10);

    /// <summary>Seconds since the run started, for the timeline.</summary>
    public double Seconds => Elapsed.TotalSeconds;
}
