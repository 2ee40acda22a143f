namespace K3sLab.Perf.Api;

/// <summary>Everything one api run measured, filled in phase by phase; the goals and the report read it.</summary>
internal sealed class ApiFigures
{
    public List<PhaseRun> Creates { get; } = [];

    /// <summary>
    /// GETs that read nothing from the store, with the same clients as <see cref="Get"/>: the public <c>/version</c>
    /// (TLS, HTTP/2 and routing only) and the authenticated <c>/api/v1</c> discovery document (plus authentication,
    /// authorization and metrics). Their difference and what <see cref="Get"/> adds tell where a request's time goes.
    /// </summary>
    public List<PhaseRun> Baselines { get; } = [];

    public PhaseRun? Get { get; set; }

    /// <summary>Full lists of the 1,000-object namespace, no limit.</summary>
    public PhaseRun? List { get; set; }

    /// <summary>The same namespace read in pages of <see cref="ApiSuiteOptions.ListPageLimit"/>, timed per page.</summary>
    public PhaseRun? ListPages { get; set; }

    /// <summary>The mixed loads (20 % creates, 50 % gets, 20 % updates, 10 % deletes), one per object size.</summary>
    public List<PhaseRun> Mixes { get; } = [];

    /// <summary>The open-model create ramp, when the run had one.</summary>
    public OpenLoopRun? Ramp { get; set; }

    public List<WatchFanoutRun> Watches { get; } = [];

    /// <summary>The host's 1, 5 and 15 minute load averages when the run began and ended: other work on the machine skews every figure.</summary>
    public string LoadAtStart { get; set; } = string.Empty;

    public string LoadAtEnd { get; set; } = string.Empty;

    public double ServerStartSeconds { get; set; }

    public double ServerIdleRssMiB { get; set; }

    public double ServerFinalRssMiB { get; set; }

    /// <summary>The host's load averages now, as /proc/loadavg gives them.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public IEnumerable<PhaseRun> Phases => Creates.Concat(Baselines).Concat(new[] { Get }.OfType<PhaseRun>()).Concat(Mixes).Concat(new[] { Ramp?.Run }.OfType<PhaseRun>()).Concat(new[] { List, ListPages }.OfType<PhaseRun>());
}
