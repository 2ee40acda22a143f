using System.Globalization;
using System.Text;

namespace K3sLab.Lab.Bench;

/// <summary>The gate's report as a plain-text table: metric, baseline, measured, change, verdict.</summary>
internal static class GateTable
{
    public static string Format(GateReport report)
    {
        string[] header = ["metric", "baseline", "measured", "change", "verdict"];
        var lines = report.Rows.Select(r => new[] { r.Metric, Number(r.Baseline), Number(r.Measured), Change(r.Change), Verdict(r) }).ToList();
        var widths = header.Select((h, i) => lines.Select(l => l[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var line in lines.Count == 0 ? Enumerable.Empty<string[]>() : lines.Prepend(header))
        {
            text.AppendLine(string.Join("  ", line.Select((cell, i) => i is 0 or 4 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }

        foreach (var problem in report.Problems)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"cannot judge: {problem}");
        }

        var regressed = report.Rows.Count(r => r.Verdict == GateVerdict.Regressed);
        text.Append(CultureInfo.InvariantCulture, $"{report.Rows.Count} metrics judged, {regressed} regressed, {report.Problems.Count} could not be judged");
        return text.ToString();
    }

    private static string Number(double value) => value.ToString(Math.Abs(value) >= 100 ? "#,0.#" : "0.###", CultureInfo.InvariantCulture);

    private static string Change(double change) => double.IsInfinity(change) ? (change > 0 ? "+inf" : "-inf") : change.ToString("+0.0%;-0.0%;0.0%", CultureInfo.InvariantCulture);

    private static string Verdict(GateRow row) => row.Verdict switch
    {
        GateVerdict.Regressed => $"REGRESSED (limit {Number(row.Limit)})",
        GateVerdict.Improved => "improved (tighten the baseline?)",
        _ => "ok",
    };
}
