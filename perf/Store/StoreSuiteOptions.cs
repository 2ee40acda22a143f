namespace K3sLab.Perf.Store;

/// <summary>How much load the store suite puts on each store: the full run, or <c>--quick</c> for the CI smoke.</summary>
internal sealed record StoreSuiteOptions
{
    public required IReadOnlyList<int> ClientLevels { get; init; }

    public required TimeSpan LevelDuration { get; init; }

    public required int WatchStreams { get; init; }

    public required int WatchersPerStream { get; init; }

    public required int WatchPutsPerSecond { get; init; }

    public required TimeSpan WatchDuration { get; init; }

    public required long ChurnRevisions { get; init; }

    public int ChurnKeys { get; init; } = 1000;

    public int ChurnClients { get; init; } = 100;

    public required TimeSpan CompactEvery { get; init; }

    public long CompactRetain { get; init; } = 1000;

    public required IReadOnlyList<string> CheckPerfLoads { get; init; }

    /// <summary>The gate on our store's files during churn: more than this is unbounded growth.</summary>
    public required long MaxChurnDiskBytes { get; init; }

    public static StoreSuiteOptions Full { get; } = new()
    {
        ClientLevels = [1, 50, 200, 500],
        LevelDuration = TimeSpan.FromSeconds(10),
        WatchStreams = 20,
        WatchersPerStream = 50,
        WatchPutsPerSecond = 20,
        WatchDuration = TimeSpan.FromSeconds(15),
        ChurnRevisions = 1_000_000,
        CompactEvery = TimeSpan.FromSeconds(5),
        CheckPerfLoads = ["m", "l"],
        MaxChurnDiskBytes = 256L * 1024 * 1024,
    };

    public static StoreSuiteOptions Quick { get; } = new()
    {
        ClientLevels = [1, 50],
        LevelDuration = TimeSpan.FromSeconds(2),
        WatchStreams = 4,
        WatchersPerStream = 25,
        WatchPutsPerSecond = 20,
        WatchDuration = TimeSpan.FromSeconds(3),
        ChurnRevisions = 20_000,
        CompactEvery = TimeSpan.FromSeconds(2),
        CheckPerfLoads = [],
        MaxChurnDiskBytes = 128L * 1024 * 1024,
    };
}
