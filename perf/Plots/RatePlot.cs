using ScottPlot;

namespace K3sLab.Perf.Plots;

/// <summary>
/// An open-model phase second by second as SVG and PNG: the rate asked, sent and answered (left axis) and the p99
/// latency from the scheduled moment (right axis, log-free milliseconds), so the point where the answers stop
/// following the asked rate and the latency turns up is one picture.
/// </summary>
internal static class RatePlot
{
    public static void Write(string directory, string fileName, string title, IReadOnlyList<(double Second, double Asked, double Sent, double Answered, double P99Ms)> seconds)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("second of the phase");
        plot.YLabel("requests per second");
        var x = seconds.Select(s => s.Second).ToArray();
        foreach (var (label, values, pattern) in new[]
        {
            ("asked", seconds.Select(s => s.Asked).ToArray(), LinePattern.Dashed),
            ("sent", seconds.Select(s => s.Sent).ToArray(), LinePattern.Dotted),
            ("answered", seconds.Select(s => s.Answered).ToArray(), LinePattern.Solid),
        })
        {
            var line = plot.Add.Scatter(x, values);
            line.LegendText = label;
            line.LinePattern = pattern;
            line.LineWidth = 2;
            line.MarkerSize = 0;
        }

        var latency = plot.Add.Scatter(x, seconds.Select(s => s.P99Ms).ToArray());
        latency.LegendText = "p99 from schedule (ms, right axis)";
        latency.Axes.YAxis = plot.Axes.Right;
        latency.LineWidth = 1.5f;
        latency.MarkerSize = 5;
        plot.Axes.Right.Label.Text = "p99 from schedule, ms";
        plot.Axes.SetLimitsY(0, Math.Max(1, seconds.Count == 0 ? 1 : seconds.Max(s => Math.Max(s.Asked, Math.Max(s.Sent, s.Answered)))) * 1.1, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Math.Max(1, seconds.Count == 0 ? 1 : seconds.Max(s => s.P99Ms)) * 1.1, plot.Axes.Right);
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(directory);
        plot.SaveSvg(Path.Combine(directory, fileName + ".svg"), 1000, 560);
        plot.SavePng(Path.Combine(directory, fileName + ".png"), 1000, 560);
    }
}
