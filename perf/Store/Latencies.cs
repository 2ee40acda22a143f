using System.Diagnostics;
using HdrHistogram;

namespace K3sLab.Perf.Store;

/// <summary>A latency histogram in microseconds (1 µs to 10 min, 3 significant digits); one per recording task, merged after.</summary>
internal sealed class Latencies
{
    private readonly LongHistogram _histogram = new(600_000_000, 3);

    public long Count => _histogram.TotalCount;

    /// <summary>The histogram itself (microseconds), for HdrHistogram's own file formats.</summary>
    public HdrHistogram.HistogramBase Histogram => _histogram;

    public void RecordSince(long startTimestamp) => Record(Stopwatch.GetElapsedTime(startTimestamp));

    public void Record(TimeSpan elapsed) => _histogram.RecordValue(Math.Max(1, (long)(elapsed.Ticks / 10)));

    public void Add(Latencies other) => _histogram.Add(other._histogram);

    /// <summary>The latency at a percentile (0–100), in milliseconds; 0 when nothing was recorded.</summary>
    public double Ms(double percentile) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;

    public double MaxMs => Count == 0 ? 0 : _histogram.GetMaxValue() / 1000.0;

    public static Latencies Merge(IEnumerable<Latencies> parts)
    {
        var all = new Latencies();
        foreach (var part in parts)
        {
            all.Add(part);
        }

        return all;
    }
}
