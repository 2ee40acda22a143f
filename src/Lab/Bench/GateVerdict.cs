namespace K3sLab.Lab.Bench;

/// <summary>How one measured figure compares with its baseline.</summary>
internal enum GateVerdict
{
    /// <summary>Within the tolerance.</summary>
    Pass,

    /// <summary>Better than the baseline by more than the tolerance: still a pass; the baseline may be tightened.</summary>
    Improved,

    /// <summary>Worse than the baseline by more than the tolerance: the gate fails.</summary>
    Regressed,
}

/// <summary>One line of the gate's table. <see cref="Change"/> is relative to the baseline (0.05 is 5 % more); infinite when the baseline is 0 and the figure is not.</summary>
internal sealed record GateRow(string Metric, double Baseline, double Measured, double Change, double Limit, GateVerdict Verdict);
