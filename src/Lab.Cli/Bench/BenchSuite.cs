namespace K3sLab.Cli.Bench;

/// <summary>The benchmark programs in the repository: the suites (<c>perf/K3sLab.Perf</c>) and the micro-benchmarks (<c>perf/Micro</c>).</summary>
internal enum BenchProgram
{
    Perf,
    Micro,
}

/// <summary>The common <c>k3slab bench</c> options a suite honours (<c>--out</c> always).</summary>
[Flags]
internal enum BenchKnobs
{
    None = 0,
    Quick = 1,
    Duration = 2,
    Rate = 4,
    Servers = 8,
    Cluster = 16,
    Threshold = 32,
    Ramp = 64,
    Lab = 128,
}

/// <summary>One run of a benchmark program: its arguments, and those <c>--quick</c> adds.</summary>
internal sealed record BenchRun(BenchProgram Program, string[] Args, string[] QuickArgs)
{
    /// <summary>What <c>--lab</c> adds to this run (none: the run is the same with and without it).</summary>
    public string[] LabArgs { get; init; } = [];
}

/// <summary>A suite as <c>k3slab bench &lt;name&gt;</c> offers it: one or more program runs, all writing to the same folder.</summary>
internal sealed record BenchSuite(string Name, string Description, BenchKnobs Knobs, IReadOnlyList<BenchRun> Runs)
{
    /// <summary>The options this suite takes, for help and for refusing the others.</summary>
    public string OptionList()
    {
        var options = new List<string> { "--out" };
        if (Knobs.HasFlag(BenchKnobs.Quick))
        {
            options.Add("--quick");
        }

        if (Knobs.HasFlag(BenchKnobs.Duration))
        {
            options.Add("--duration");
        }

        if (Knobs.HasFlag(BenchKnobs.Rate))
        {
            options.Add("--rate");
        }

        if (Knobs.HasFlag(BenchKnobs.Servers))
        {
            options.Add("--servers/--agents");
        }

        if (Knobs.HasFlag(BenchKnobs.Cluster))
        {
            options.Add("--cluster");
        }

        if (Knobs.HasFlag(BenchKnobs.Threshold))
        {
            options.Add("--threshold");
        }

        if (Knobs.HasFlag(BenchKnobs.Ramp))
        {
            options.Add("--ramp");
        }

        if (Knobs.HasFlag(BenchKnobs.Lab))
        {
            options.Add("--lab");
        }

        return string.Join(", ", options);
    }
}

/// <summary>What the user asked <c>k3slab bench &lt;suite&gt;</c> for; null means the suite's default.</summary>
internal sealed record BenchRequest(string Out, bool Quick, double? DurationSeconds, int? Rate, int? Servers, int? Agents)
{
    /// <summary>A running lab cluster to measure instead of processes the suite starts itself.</summary>
    public string? Cluster { get; init; }

    /// <summary>Conditions the run must meet or fail (<c>p99&lt;50ms</c>, <c>errors&lt;0.1%</c>), as the user typed them.</summary>
    public IReadOnlyList<string> Thresholds { get; init; } = [];

    /// <summary>The open-model create ramp, <c>FROM-TO/s:SECONDS</c> as the user typed it; null keeps the suite's.</summary>
    public string? Ramp { get; init; }

    /// <summary>Run what has a Docker form in lab containers (the agent load balancer's trials: <c>docker kill</c> of a server node).</summary>
    public bool Lab { get; init; }
}
