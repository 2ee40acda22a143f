using System.Diagnostics;
using HdrHistogram;

namespace K3sLab.Perf.Load;

/// <summary>
/// A phase's latencies and errors per interval (one second unless told) from the moment the phase began, for
/// per-interval figures, an HdrHistogram interval log and latency-over-time plots. A result counts in the interval in
/// which it completed. Thread-safe; the lock costs far less than the requests it times. Interval histograms keep two
/// significant digits (1 %), enough for a timeline; a phase's final percentiles come from its full-precision
/// <see cref="Store.Latencies"/>.
/// </summary>
internal sealed class Timeline
{
    private const long HighestMicroseconds = 600_000_000;

    private readonly List<LongHistogram?> _latencies = [];
    private readonly List<long> _errors = [];
    private readonly Lock _gate = new();
    private readonly long _originTimestamp;
    private long _lastTimestamp;

    private Timeline(long originTimestamp, DateTime originUtc, TimeSpan interval)
    {
        _originTimestamp = originTimestamp;
        OriginUtc = originUtc;
        Interval = interval;
    }

    public DateTime OriginUtc { get; }

    public TimeSpan Interval { get; }

    /// <summary>A timeline whose first interval begins now.</summary>
    public static Timeline StartNow(TimeSpan? interval = null) => new(Stopwatch.GetTimestamp(), DateTime.UtcNow, interval ?? TimeSpan.FromSeconds(1));

    /// <summary>A timeline whose first interval began at <paramref name="originTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static Timeline StartingAt(long originTimestamp, TimeSpan? interval = null) =>
        new(originTimestamp, DateTime.UtcNow - Stopwatch.GetElapsedTime(originTimestamp), interval ?? TimeSpan.FromSeconds(1));

    /// <summary>Records one success of <paramref name="latency"/> that completed at <paramref name="completedTimestamp"/>.</summary>
    public void Record(long completedTimestamp, TimeSpan latency)
    {
        var index = IndexOf(completedTimestamp);
        var micros = Math.Clamp(latency.Ticks / 10, 1, HighestMicroseconds);
        lock (_gate)
        {
            Grow(index, completedTimestamp);
            (_latencies[index] ??= new LongHistogram(HighestMicroseconds, 2)).RecordValue(micros);
        }
    }

    /// <summary>Records one failure that completed at <paramref name="completedTimestamp"/>.</summary>
    public void Error(long completedTimestamp)
    {
        var index = IndexOf(completedTimestamp);
        lock (_gate)
        {
            Grow(index, completedTimestamp);
            _errors[index]++;
        }
    }

    /// <summary>
    /// Every interval from the first to the last that saw a result, empty ones included. The last interval's rate is
    /// over the part of it up to the last result, so a phase that ended early in its last second is not shown slowing.
    /// </summary>
    public IReadOnlyList<IntervalStats> Intervals()
    {
        lock (_gate)
        {
            var seconds = Interval.TotalSeconds;
            var last = _errors.Count - 1;
            var lastLength = Math.Clamp(Stopwatch.GetElapsedTime(_originTimestamp, _lastTimestamp).TotalSeconds - (last * seconds), 0.001, seconds);
            return [.. Enumerable.Range(0, _errors.Count).Select(i => IntervalStats.Of(i * seconds, i == last ? lastLength : seconds, _latencies[i], _errors[i]))];
        }
    }

    /// <summary>The interval histograms with their start and end stamped (milliseconds since the Unix epoch), empty intervals as empty histograms.</summary>
    public IReadOnlyList<HistogramBase> IntervalHistograms(string tag)
    {
        lock (_gate)
        {
            var origin = new DateTimeOffset(OriginUtc).ToUnixTimeMilliseconds();
            var step = (long)Interval.TotalMilliseconds;
            return [.. Enumerable.Range(0, _errors.Count).Select(i =>
            {
                var copy = new LongHistogram(HighestMicroseconds, 2);
                if (_latencies[i] is { } h)
                {
                    copy.Add(h);
                }

                copy.StartTimeStamp = origin + (i * step);
                copy.EndTimeStamp = origin + ((i + 1) * step);
                copy.Tag = tag;
                return (HistogramBase)copy;
            })];
        }
    }

    private int IndexOf(long timestamp) => (int)Math.Max(0, Stopwatch.GetElapsedTime(_originTimestamp, timestamp).Ticks / Interval.Ticks);

    private void Grow(int index, long timestamp)
    {
        _lastTimestamp = Math.Max(_lastTimestamp, timestamp);
        while (_errors.Count <= index)
        {
            _latencies.Add(null);
            _errors.Add(0);
        }
    }
}
