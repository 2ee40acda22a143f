using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// Write availability: the longest time between two acknowledged workload writes, over the whole load period,
/// stays within the bound. The widest gap is reported with where it was, so a report shows the failover time.
/// </summary>
public static class WriteGapCheck
{
    public static CheckResult Run(IReadOnlyList<OperationRecord> operations, TimeSpan max)
    {
        var (gap, from) = WidestGap(operations);
        var summary = $"widest gap between acknowledged writes {gap.TotalSeconds:0.00} s (from {from:0.0} s), bound {max.TotalSeconds:0.##} s";
        return gap <= max ? CheckResult.Pass("write-gap", summary) : CheckResult.Fail("write-gap", summary, [$"no write was acknowledged between {from:0.000} s and {from + gap.TotalSeconds:0.000} s"]);
    }

    /// <summary>The widest interval without an acknowledged write and where it started (seconds since the run started).</summary>
    public static (TimeSpan Gap, double From) WidestGap(IReadOnlyList<OperationRecord> operations)
    {
        var acks = operations.Where(o => o.IsWrite && o.Outcome == OperationOutcome.Ok && o.Client >= 0).Select(o => o.Return).Order().ToList();
        var (gap, from) = (0L, 0L);
        for (var i = 1; i < acks.Count; i++)
        {
            if (acks[i] - acks[i - 1] > gap)
            {
                (gap, from) = (acks[i] - acks[i - 1], acks[i - 1]);
            }
        }

        return (TimeSpan.FromMicroseconds(gap), from / 1e6);
    }
}
