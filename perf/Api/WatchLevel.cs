namespace K3sLab.Perf.Api;

/// <summary>
/// One watch fan-out level: <paramref name="Watchers"/> streams on one namespace while the writer creates
/// <paramref name="WritesPerSecond"/> ConfigMaps a second, so the server owes <c>Watchers × WritesPerSecond</c> events a second.
/// </summary>
internal sealed record WatchLevel(int Watchers, int WritesPerSecond)
{
    public long EventsPerSecondAsked => (long)Watchers * WritesPerSecond;
}
