using HdrHistogram;

namespace K3sLab.Perf.Load;

/// <summary>One interval of a <see cref="Timeline"/>: when it began (seconds from the phase's start), what completed in it and the latency percentiles in milliseconds (0 when nothing succeeded).</summary>
internal sealed record IntervalStats(double StartSeconds, long Succeeded, long Errors, double PerSecond, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static IntervalStats Of(double startSeconds, double lengthSeconds, HistogramBase? latencies, long errors)
    {
        if (latencies is null || latencies.TotalCount == 0)
        {
            return new IntervalStats(startSeconds, 0, errors, 0, 0, 0, 0, 0, 0);
        }

        double Ms(double percentile) => latencies.GetValueAtPercentile(percentile) / 1000.0;
        return new IntervalStats(startSeconds, latencies.TotalCount, errors, latencies.TotalCount / lengthSeconds, Ms(50), Ms(90), Ms(99), Ms(99.9), latencies.GetMaxValue() / 1000.0);
    }
}
