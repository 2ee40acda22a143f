namespace K3sLab.Perf.Api;

/// <summary>How much load the api suite puts on one <c>k3s server</c>: the full run, or <c>--quick</c> for the CI smoke.</summary>
internal sealed record ApiSuiteOptions
{
    /// <summary>Concurrent clients of each create level; each level creates <see cref="CreatesPerLevel"/> ConfigMaps in its own namespace.</summary>
    public required IReadOnlyList<int> CreateClients { get; init; }

    public required int CreatesPerLevel { get; init; }

    public required int GetClients { get; init; }

    public required int Gets { get; init; }

    /// <summary>Objects in the listed namespace: issue 5 asks for exactly 1,000.</summary>
    public int ListObjects { get; init; } = 1000;

    /// <summary>Full lists (no limit) taken one after another; the paged run takes the same number of full passes.</summary>
    public required int Lists { get; init; }

    public int ListPageLimit { get; init; } = 500;

    public required IReadOnlyList<int> WatcherLevels { get; init; }

    /// <summary>Watch streams per HTTP/2 connection (Kestrel allows 100 streams on one connection by default).</summary>
    public int WatchersPerConnection { get; init; } = 100;

    public int WatchWritesPerSecond { get; init; } = 20;

    /// <summary>Only the watch fan-out phases (<c>k3slab bench watch</c>): no create, get or list phases before them.</summary>
    public bool WatchOnly { get; init; }

    public required TimeSpan WatchDuration { get; init; }

    /// <summary>HTTP/2 connections the request phases spread their clients over, as a handful of client-go clients would hold.</summary>
    public int Connections { get; init; } = 4;

    /// <summary>The HTTP version of the request phases (watches always use HTTP/2): 2.0 as client-go speaks it, 1.1 to compare.</summary>
    public Version HttpVersion { get; init; } = System.Net.HttpVersion.Version20;

    /// <summary>A bound on each request (watches excepted): a request the server never answers fails instead of hanging the run.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A bound on every closed-loop phase, whatever its count.</summary>
    public required TimeSpan PhaseTimeout { get; init; }

    public static ApiSuiteOptions Full { get; } = new()
    {
        CreateClients = [1, 16, 64],
        CreatesPerLevel = 10_000,
        GetClients = 4,
        Gets = 20_000,
        Lists = 200,
        WatcherLevels = [100, 1000],
        WatchDuration = TimeSpan.FromSeconds(15),
        PhaseTimeout = TimeSpan.FromSeconds(60),
    };

    public static ApiSuiteOptions Quick { get; } = new()
    {
        CreateClients = [1, 16],
        CreatesPerLevel = 500,
        GetClients = 4,
        Gets = 2_000,
        Lists = 20,
        WatcherLevels = [100, 1000],
        WatchDuration = TimeSpan.FromSeconds(3),
        PhaseTimeout = TimeSpan.FromSeconds(20),
    };
}
