using K3sLab.Lab.Bench;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Load;

/// <summary>
/// One phase of a load run as the shared report files see it: its stable name, final latencies, per-interval
/// timeline (null when the phase kept none), counts, rate and failures by kind.
/// </summary>
internal sealed record LoadSeries(string Name, Latencies Latencies, Timeline? Timeline, long Succeeded, long Errors, double PerSecond, ErrorKinds ErrorKinds)
{
    public LoadFigures Figures() => new(Name, Succeeded, Errors, PerSecond, Latencies.Ms(50), Latencies.Ms(90), Latencies.Ms(99), Latencies.Ms(99.9), Latencies.MaxMs);
}
