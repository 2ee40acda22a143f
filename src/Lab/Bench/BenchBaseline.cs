namespace K3sLab.Lab.Bench;

/// <summary>
/// A checked-in benchmark baseline (<c>perf/baselines/*.json</c>, format <see cref="Format"/>): the metrics a gate
/// compares, each read from a results file a suite wrote, with its expected value and how far it may move.
/// </summary>
internal sealed record BenchBaseline(string Description, IReadOnlyList<BaselineMetric> Metrics)
{
    /// <summary>The format this reader understands; a file naming another one is refused, not half-read.</summary>
    public const string Format = "k3slab-bench-baseline/1";
}

/// <summary>Which way a metric improves.</summary>
internal enum Better
{
    /// <summary>Smaller is better: bytes per operation, latencies, memory.</summary>
    Lower,

    /// <summary>Larger is better: throughput, ours-over-etcd ratios.</summary>
    Higher,
}

/// <summary>
/// One gated figure: the number at JSON pointer <see cref="Pointer"/> (RFC 6901) in results file
/// <see cref="Results"/>. It regresses when it is worse than <see cref="Expected"/> by more than
/// <see cref="Tolerance"/> (relative: 0.1 is 10 %) plus <see cref="Slack"/> (absolute, for figures near zero).
/// </summary>
internal sealed record BaselineMetric(string Name, string Results, string Pointer, double Expected, Better Better, double Tolerance, double Slack = 0)
{
    /// <summary>The worst value that still passes.</summary>
    public double Limit => Better == Better.Lower ? (Expected * (1 + Tolerance)) + Slack : (Expected * (1 - Tolerance)) - Slack;

    /// <summary>The value beyond which the figure is better than the baseline by more than its tolerance.</summary>
    public double ImprovedBeyond => Better == Better.Lower ? (Expected * (1 - Tolerance)) - Slack : (Expected * (1 + Tolerance)) + Slack;
}
