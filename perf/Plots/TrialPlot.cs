using ScottPlot;

namespace K3sLab.Perf.Plots;

/// <summary>
/// Repeated trials of one measurement (a failover gap, a cluster's time to Ready) as SVG and PNG next to a suite's
/// report: one marker per trial at its trial number, one colour per series, and optional horizontal reference lines for a goal or an
/// anchor (k3s's, k3d's or etcd's own figure), so a reader sees the spread and the distance to the target at once.
/// </summary>
internal static class TrialPlot
{
    /// <summary>Writes <paramref name="fileName"/>.svg and .png into <paramref name="directory"/>; empty series are left out.</summary>
    public static void Write(
        string directory,
        string fileName,
        string title,
        string valueLabel,
        IEnumerable<(string Label, IReadOnlyList<(int Trial, double Value)> Points)> series,
        IEnumerable<(string Label, double Value)>? references = null)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("trial");
        plot.YLabel(valueLabel);
        var most = 0;
        var highest = 0.0;
        foreach (var (label, points) in series.Where(s => s.Points.Count > 0))
        {
            var values = points.Select(p => p.Value).ToList();
            var dots = plot.Add.Scatter(points.Select(p => (double)p.Trial).ToArray(), values.ToArray());
            dots.LegendText = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{label} (median {Median(values):0.###})");
            dots.LineWidth = 0;
            dots.MarkerSize = 8;
            most = Math.Max(most, points.Max(p => p.Trial));
            highest = Math.Max(highest, values.Max());
        }

        foreach (var (label, value) in references ?? [])
        {
            var line = plot.Add.HorizontalLine(value);
            line.LegendText = label;
            line.LinePattern = LinePattern.Dashed;
            line.LineWidth = 1.5f;
            highest = Math.Max(highest, value);
        }

        // Durations from zero, so the eye compares them as ratios; a tick on every trial (every fifth past 30).
        most = Math.Max(most, 1);
        var step = most <= 30 ? 1 : 5;
        var ticks = Enumerable.Range(1, most).Where(t => t == 1 || t % step == 0).Select(t => (double)t).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, [.. ticks.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimits(0.5, most + 0.5, 0, highest > 0 ? highest * 1.15 : 1);
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(directory);
        plot.SaveSvg(Path.Combine(directory, fileName + ".svg"), 1000, 560);
        plot.SavePng(Path.Combine(directory, fileName + ".png"), 1000, 560);
    }

    /// <summary>Values numbered 1, 2, 3… in the order given, for series whose trials are simply their runs.</summary>
    public static IReadOnlyList<(int Trial, double Value)> Numbered(IEnumerable<double> values) => [.. values.Select((v, i) => (i + 1, v))];

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
