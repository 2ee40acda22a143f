namespace K3sLab.Lab.Bench;

/// <summary>
/// One phase of a load run as thresholds judge it: its stable name (<c>create x16</c>, <c>watch 1000 at 20 writes</c>),
/// what succeeded and failed, the rate achieved and the latency percentiles in milliseconds.
/// </summary>
internal sealed record LoadFigures(string Name, long Succeeded, long Errors, double PerSecond, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    /// <summary>Failed requests as a percentage of all requests made; 0 when none were made.</summary>
    public double ErrorPercent => Succeeded + Errors == 0 ? 0 : 100.0 * Errors / (Succeeded + Errors);
}
