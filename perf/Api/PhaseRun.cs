using K3sLab.Perf.Load;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Api;

/// <summary>
/// What one closed-loop phase measured: acknowledged requests and their latencies (failed requests are counted, not
/// timed), what the server spent meanwhile (CPU, and resident memory at the end), and the CPU the load generator
/// itself spent, which on a small machine is taken from the server.
/// </summary>
internal sealed record PhaseRun(string Phase, int Clients, long Requested, long Succeeded, long Errors, string? FirstError, double Seconds, Latencies Latency, double ServerCpuSeconds, double ServerRssMiB, double ClientCpuSeconds)
{
    /// <summary>Successes and failures per second of the phase, by completion time.</summary>
    public Timeline? Timeline { get; init; }

    /// <summary>The failures by kind (HTTP status, timeout, transport).</summary>
    public ErrorKinds ErrorKinds { get; init; } = new();

    /// <summary>The phase's stable name in reports and thresholds: <c>create x16</c>, <c>get x4</c>.</summary>
    public string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Phase} x{Clients}");

    public double PerSecond => Seconds > 0 ? Succeeded / Seconds : 0;

    /// <summary>Server CPU milliseconds per request: where a saturated server's time goes, independent of the client count.</summary>
    public double CpuMsPerRequest => Succeeded > 0 ? ServerCpuSeconds * 1000 / Succeeded : 0;
}
