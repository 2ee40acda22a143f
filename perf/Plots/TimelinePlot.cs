using K3sLab.Perf.Load;
using ScottPlot;

namespace K3sLab.Perf.Plots;

/// <summary>
/// Latency over a run as SVG and PNG: for each phase, its p99 per interval as a solid line and its p50 as a dashed
/// one in the same colour, at the run's clock (seconds from the first phase's start), latency on a log scale. Stalls,
/// warm-up and drift show here where a single percentile hides them.
/// </summary>
internal static class TimelinePlot
{
    public static void Write(string directory, string fileName, string title, IEnumerable<(string Label, double OffsetSeconds, IReadOnlyList<IntervalStats> Intervals)> series)
    {
        // Twenty colours: the api suite has a dozen phases, and ten would repeat.
        var plot = new Plot();
        plot.Add.Palette = new ScottPlot.Palettes.Category20();
        plot.Title(title);
        plot.XLabel("seconds into the run");
        plot.YLabel("latency (ms, log scale)");
        var lowest = double.MaxValue;
        var highest = double.MinValue;
        var index = 0;
        foreach (var (label, offset, intervals) in series)
        {
            var points = intervals.Where(i => i.Succeeded > 0 && i.P50Ms > 0).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var color = plot.Add.Palette.GetColor(index++);
            var xs = points.Select(i => offset + i.StartSeconds).ToArray();
            var p99 = plot.Add.Scatter(xs, points.Select(i => Math.Log10(i.P99Ms)).ToArray());
            p99.LegendText = $"{label} p99";
            p99.Color = color;
            p99.LineWidth = 2;
            p99.MarkerSize = 5;
            var p50 = plot.Add.Scatter(xs, points.Select(i => Math.Log10(i.P50Ms)).ToArray());
            p50.LegendText = $"{label} p50";
            p50.Color = color;
            p50.LineWidth = 1;
            p50.MarkerSize = 3;
            p50.LinePattern = LinePattern.Dashed;
            lowest = Math.Min(lowest, points.Min(i => Math.Log10(i.P50Ms)));
            highest = Math.Max(highest, points.Max(i => Math.Log10(i.P99Ms)));
        }

        LogScale.SetDecadeTicks(plot, lowest, highest);

        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(directory);
        plot.SaveSvg(Path.Combine(directory, fileName + ".svg"), 1200, 600);
        plot.SavePng(Path.Combine(directory, fileName + ".png"), 1200, 600);
    }
}
