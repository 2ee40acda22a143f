using System.Text.Json.Nodes;

namespace K3sLab.Lab.Bench;

/// <summary>
/// The gate's pure comparison: each baseline metric against the figure in the results files, one
/// <see cref="GateRow"/> per metric found and one problem per metric that cannot be judged.
/// </summary>
internal static class BenchGate
{
    /// <summary>
    /// Compares every metric of <paramref name="baseline"/> with <paramref name="results"/> (results files by name,
    /// as the metrics name them; a file that could not be read is absent). Never throws on missing data: a missing
    /// file or figure becomes a problem naming it, and the other metrics are still judged.
    /// </summary>
    public static GateReport Compare(BenchBaseline baseline, IReadOnlyDictionary<string, JsonNode> results)
    {
        var rows = new List<GateRow>();
        var problems = new List<string>();
        foreach (var metric in baseline.Metrics)
        {
            if (!results.TryGetValue(metric.Results, out var file))
            {
                problems.Add($"metric '{metric.Name}': the results hold no {metric.Results} (run the suite that writes it with --out to this folder)");
                continue;
            }

            if (JsonPointer.Resolve(file, metric.Pointer) is not JsonValue value || !value.TryGetValue<double>(out var measured) || !double.IsFinite(measured))
            {
                problems.Add($"metric '{metric.Name}': {metric.Results} has no number at {metric.Pointer}");
                continue;
            }

            rows.Add(Judge(metric, measured));
        }

        return new GateReport(rows, problems);
    }

    public static GateRow Judge(BaselineMetric metric, double measured)
    {
        var worse = metric.Better == Better.Lower ? measured > metric.Limit : measured < metric.Limit;
        var better = metric.Better == Better.Lower ? measured < metric.ImprovedBeyond : measured > metric.ImprovedBeyond;
        var change = metric.Expected != 0 ? (measured - metric.Expected) / Math.Abs(metric.Expected)
            : measured == 0 ? 0 : Math.Sign(measured) * double.PositiveInfinity;
        var verdict = worse ? GateVerdict.Regressed : better ? GateVerdict.Improved : GateVerdict.Pass;
        return new GateRow(metric.Name, metric.Expected, measured, change, metric.Limit, verdict);
    }
}

/// <summary>
/// The gate's outcome: the judged rows and the metrics it could not judge. <see cref="ExitCode"/> is 2 when any
/// metric could not be judged (the gate is incomplete, whatever the rest says), else 1 on a regression, else 0.
/// </summary>
internal sealed record GateReport(IReadOnlyList<GateRow> Rows, IReadOnlyList<string> Problems)
{
    public int ExitCode => Problems.Count > 0 ? 2 : Rows.Any(r => r.Verdict == GateVerdict.Regressed) ? 1 : 0;
}
