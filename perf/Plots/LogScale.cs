using ScottPlot;

namespace K3sLab.Perf.Plots;

/// <summary>A latency axis drawn as log10 of milliseconds, labelled at whole decades with the milliseconds themselves.</summary>
internal static class LogScale
{
    /// <summary>Ticks at every decade from <paramref name="lowest"/> to <paramref name="highest"/> (log10 values); nothing when nothing was drawn.</summary>
    public static void SetDecadeTicks(Plot plot, double lowest, double highest)
    {
        if (highest < lowest)
        {
            return;
        }

        var decades = Enumerable.Range((int)Math.Floor(lowest), (int)Math.Ceiling(highest) - (int)Math.Floor(lowest) + 1).Select(d => (double)d).ToArray();
        plot.Axes.Left.SetTicks(decades, [.. decades.Select(d => Math.Pow(10, d).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture))]);
    }
}
