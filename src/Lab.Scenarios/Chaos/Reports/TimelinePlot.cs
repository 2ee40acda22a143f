using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Running;
using ScottPlot;

namespace K3sLab.Scenarios.Chaos.Reports;

/// <summary>
/// One timeline of a run: every workload write's latency at the time it was sent (acknowledged in blue, failed or
/// unknown in red at the request timeout line), the faults and heals as vertical lines, the agreed datastore leader
/// as a step line on the right axis, and the widest write-availability gap shaded.
/// </summary>
public static class TimelinePlot
{
    public static Plot Build(ChaosRunResult result)
    {
        var record = result.Record;
        var plot = new Plot();
        plot.Title($"{result.Scenario.Name}: writes, faults and leader (repeat {result.Repeat}, seed {result.Seed})");
        plot.XLabel("seconds since the run started");
        plot.YLabel("write latency (ms)");

        var writes = record.Operations.Where(o => o.IsWrite && o.Client >= 0).ToList();
        AddPoints(plot, writes.Where(o => o.Outcome == OperationOutcome.Ok).ToList(), "acknowledged writes", Colors.SteelBlue, 3);
        AddPoints(plot, writes.Where(o => o.Outcome == OperationOutcome.Failed).ToList(), "refused writes (409/404: CAS lost)", Colors.Gray, 2);
        AddPoints(plot, writes.Where(o => o.Outcome == OperationOutcome.Unknown).ToList(), "unknown outcome (timeout, 5xx, cut)", Colors.Crimson, 5);

        var (gap, from) = WriteGapCheck.WidestGap(record.Operations);
        if (gap > TimeSpan.Zero)
        {
            var span = plot.Add.HorizontalSpan(from, from + gap.TotalSeconds);
            span.FillStyle.Color = Colors.Orange.WithAlpha(0.25);
            span.LegendText = $"widest write gap {gap.TotalSeconds:0.00} s";
        }

        foreach (var e in record.Timeline.Where(e => e.Kind is "fault" or "heal"))
        {
            var line = plot.Add.VerticalLine(e.At);
            line.Color = e.Kind == "fault" ? Colors.Red : Colors.Green;
            line.LineWidth = 1.5f;
            line.LinePattern = e.Kind == "fault" ? LinePattern.Solid : LinePattern.Dashed;
            line.Text = e.Text.Length > 40 ? e.Text[..40] : e.Text;
            line.LabelFontSize = 10;
        }

        AddLeader(plot, result);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static void AddPoints(Plot plot, List<OperationRecord> writes, string label, Color color, float size)
    {
        if (writes.Count == 0)
        {
            return;
        }

        var points = plot.Add.ScatterPoints(writes.Select(o => o.Call / 1e6).ToArray(), writes.Select(o => (o.Return - o.Call) / 1e3).ToArray());
        points.LegendText = $"{label} ({writes.Count})";
        points.MarkerSize = size;
        points.Color = color;
    }

    /// <summary>The agreed leader over time as a step line on the right axis (server index; -1 without one).</summary>
    private static void AddLeader(Plot plot, ChaosRunResult result)
    {
        var servers = result.Record.Members.Select(m => m.Node).Distinct().Order(StringComparer.Ordinal).ToList();
        if (servers.Count == 0)
        {
            return;
        }

        var rounds = result.Record.Members.GroupBy(m => Math.Round(m.At, 0)).OrderBy(g => g.Key).ToList();
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var round in rounds)
        {
            var top = round.Where(m => m.Term is not null).GroupBy(m => m.Term).OrderByDescending(g => g.Key).FirstOrDefault();
            var leader = top?.GroupBy(m => m.Leader).Where(g => g.Key is not null && g.Count() > servers.Count / 2).Select(g => g.Key).FirstOrDefault();
            xs.Add(round.Key);
            ys.Add(leader is null ? -1 : servers.IndexOf(leader));
        }

        var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.Color = Colors.Purple;
        line.LegendText = "datastore leader (right axis)";
        line.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "datastore leader";
        plot.Axes.Right.SetTicks([-1, .. Enumerable.Range(0, servers.Count).Select(i => (double)i)], ["none", .. servers]);
        plot.Axes.SetLimitsY(-1.5, servers.Count - 0.5, plot.Axes.Right);
    }
}
