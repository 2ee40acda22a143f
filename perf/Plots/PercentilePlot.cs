using K3sLab.Perf.Store;
using ScottPlot;

namespace K3sLab.Perf.Plots;

/// <summary>
/// A latency percentile distribution as SVG and PNG next to a suite's report: one line per series, the percentile on the
/// "nines" scale (50 %, 90 %, 99 %, 99.9 % evenly spaced, as HdrHistogram's plots draw it) and the latency on a log
/// scale, so a tail far above the median stays readable.
/// </summary>
internal static class PercentilePlot
{
    private static readonly double[] Percentiles = [1, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

    /// <summary>Writes <paramref name="fileName"/>.svg and .png into <paramref name="directory"/>; series with nothing recorded are left out.</summary>
    public static void Write(string directory, string fileName, string title, IEnumerable<(string Label, Latencies Latencies)> series)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("percentile");
        plot.YLabel("latency (ms, log scale)");
        var lowest = double.MaxValue;
        var highest = double.MinValue;
        foreach (var (label, latencies) in series.Where(s => s.Latencies.Count > 0))
        {
            // Percentiles at which nothing measurable was recorded (a 0 from the histogram) have no place on a log scale.
            var points = Percentiles.Select(p => (X: Nines(p), Ms: latencies.Ms(p))).Where(p => p.Ms > 0).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var xs = points.Select(p => p.X).ToArray();
            var ys = points.Select(p => Math.Log10(p.Ms)).ToArray();
            lowest = Math.Min(lowest, ys.Min());
            highest = Math.Max(highest, ys.Max());
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{label} ({latencies.Count:N0})";
            line.MarkerSize = 4;
            line.LineWidth = 2;
        }

        plot.Axes.Bottom.SetTicks([.. new[] { 50.0, 90, 99, 99.9, 99.99 }.Select(Nines)], ["50 %", "90 %", "99 %", "99.9 %", "99.99 %"]);
        LogScale.SetDecadeTicks(plot, lowest, highest);

        plot.ShowLegend(Alignment.LowerRight);
        Directory.CreateDirectory(directory);
        plot.SaveSvg(Path.Combine(directory, fileName + ".svg"), 1000, 560);
        plot.SavePng(Path.Combine(directory, fileName + ".png"), 1000, 560);
    }

    /// <summary>−log10(1 − p): 50 % → 0.3, 90 % → 1, 99 % → 2, 99.9 % → 3.</summary>
    private static double Nines(double percentile) => -Math.Log10(1 - (Math.Min(percentile, 99.99) / 100));
}
