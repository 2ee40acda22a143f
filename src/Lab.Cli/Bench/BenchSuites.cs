namespace K3sLab.Cli.Bench;

/// <summary>
/// The suites <c>k3slab bench</c> runs, one line each: which benchmark program runs with which arguments, and which
/// of the common options the suite honours. A new suite in <c>K3sLab.Perf</c> is one more line here.
/// </summary>
internal static class BenchSuites
{
    public static IReadOnlyList<BenchSuite> All { get; } =
    [
        new("api", "The API server (issue 5): creates, gets, lists, an open-model create ramp and watch fan-out against one k3s server on SQLite, or a running lab cluster with --cluster; --duration and --rate set the watch phases, --ramp the create ramp", BenchKnobs.Quick | BenchKnobs.Duration | BenchKnobs.Rate | BenchKnobs.Cluster | BenchKnobs.Threshold | BenchKnobs.Ramp, [new(BenchProgram.Perf, ["api"], ["--quick"])]),
        new("watch", "Only the api suite's watch fan-out: 100 and 1,000 watchers of one namespace at 20 writes/s, then 1,000 at 110 writes/s (110,000 events/s offered against issue 11's goal of 100,000 delivered), then 10,000 at 5 writes/s; --duration and --rate set the writer, --cluster measures a running lab cluster", BenchKnobs.Quick | BenchKnobs.Duration | BenchKnobs.Rate | BenchKnobs.Cluster | BenchKnobs.Threshold, [new(BenchProgram.Perf, ["api", "--watch-only"], ["--quick"])]),
        new("store", "The datastore (issue 3): ours and real etcd on the same host, puts, watch latency and churn; --duration sets each load level", BenchKnobs.Quick | BenchKnobs.Duration, [new(BenchProgram.Perf, ["store"], ["--quick"])]),
        new("raft", "The replicated datastore (issue 4): 3 members of ours and of etcd, put throughput side by side, then leader failover; --duration sets each load level", BenchKnobs.Quick | BenchKnobs.Duration, [new(BenchProgram.Perf, ["raft"], ["--quick"])]),
        new("up", "Lab clusters in Docker: time to Ready and memory per node, 3+5 and 1+0 by default or --servers/--agents", BenchKnobs.Quick | BenchKnobs.Servers, [new(BenchProgram.Perf, ["lab"], ["--repeats", "1"])]),
        new("failover", "Failover: Raft leader kills (the raft suite's failover trials) and the agent load balancer's server outages (agentlb); --lab runs the agent trials on lab containers (docker kill of a server node) instead of local processes", BenchKnobs.Quick | BenchKnobs.Lab, [new(BenchProgram.Perf, ["raft", "--failover-only"], ["--quick"]), new(BenchProgram.Perf, ["agentlb"], ["--trials", "5"]) { LabArgs = ["--lab"] }]),
        new("footprint", "Memory of an idle server and agent (issue 1's budgets)", BenchKnobs.None, [new(BenchProgram.Perf, ["footprint"], [])]),
        new("scheduling", "The scheduler: pods placed per second and time to Running on simulated nodes", BenchKnobs.Quick, [new(BenchProgram.Perf, ["scheduling"], ["--pods", "200", "--nodes", "10", "--startup", "20"])]),
        new("datastores", "Issue 12's comparison: the api phases with one load on SQLite, the embedded Raft store (1 member, and 3 servers), real etcd 3.4 and PostgreSQL in one run, with ratios to SQLite", BenchKnobs.Quick, [new(BenchProgram.Perf, ["datastores"], ["--quick"])]),
        new("scale", "Hollow nodes (issues 8 and 11): 500 kubelets with a fake runtime in one process, memory per node, API p50/p99 under heartbeats and pod churn, pod start latency; --quick for 100", BenchKnobs.Quick, [new(BenchProgram.Perf, ["scale"], ["--quick"])]),
        new("micro", "Micro-benchmarks of the runtime's hot paths: managed bytes allocated per operation (what the CI gate compares)", BenchKnobs.None, [new(BenchProgram.Micro, ["--alloc"], [])]),
    ];

    /// <summary>
    /// The command lines <paramref name="request"/> means for <paramref name="suite"/>, in order; refuses an option
    /// the suite does not honour, naming the ones it does, rather than ignoring it.
    /// </summary>
    /// <exception cref="Lab.Bench.BenchInputException">An option the suite does not take, or a value out of range.</exception>
    public static IReadOnlyList<(BenchProgram Program, string[] Args)> CommandLines(BenchSuite suite, BenchRequest request)
    {
        Refuse(suite, BenchKnobs.Quick, request.Quick, "--quick");
        Refuse(suite, BenchKnobs.Duration, request.DurationSeconds is not null, "--duration");
        Refuse(suite, BenchKnobs.Rate, request.Rate is not null, "--rate");
        Refuse(suite, BenchKnobs.Servers, request.Servers is not null || request.Agents is not null, "--servers/--agents");
        Refuse(suite, BenchKnobs.Cluster, request.Cluster is not null, "--cluster");
        Refuse(suite, BenchKnobs.Threshold, request.Thresholds.Count > 0, "--threshold");
        Refuse(suite, BenchKnobs.Ramp, request.Ramp is not null, "--ramp");
        Refuse(suite, BenchKnobs.Lab, request.Lab, "--lab");
        if (request.Ramp is { } ramp)
        {
            Lab.Bench.ArrivalSchedule.Parse(ramp);
        }

        foreach (var threshold in request.Thresholds)
        {
            // Refused before the run starts, not after minutes of load.
            Lab.Bench.LoadThreshold.Parse(threshold);
        }
        if (request.Cluster is { } cluster)
        {
            try
            {
                K3sLab.Lab.Providers.LabNaming.ValidateClusterName(cluster);
            }
            catch (K3sLab.Lab.LabSetupException e)
            {
                throw new Lab.Bench.BenchInputException($"--cluster: {e.Message}");
            }
        }

        if (request.DurationSeconds is <= 0 || request.Rate is <= 0 || request.Servers is < 1 || request.Agents is < 0)
        {
            throw new Lab.Bench.BenchInputException("--duration and --rate must be positive, --servers at least 1 and --agents at least 0");
        }

        return [.. suite.Runs.Select(run => (run.Program, Arguments(run, request)))];
    }

    private static string[] Arguments(BenchRun run, BenchRequest request)
    {
        var args = new List<string>(run.Args);
        if (request.Quick)
        {
            args.AddRange(run.QuickArgs);
        }

        if (request.DurationSeconds is { } seconds)
        {
            args.AddRange(["--duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (request.Rate is { } rate)
        {
            args.AddRange(["--rate", rate.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (request.Servers is not null || request.Agents is not null)
        {
            args.AddRange(["--servers", (request.Servers ?? 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--agents", (request.Agents ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (request.Cluster is { } cluster)
        {
            args.AddRange(["--cluster", cluster]);
        }

        foreach (var threshold in request.Thresholds)
        {
            args.AddRange(["--threshold", threshold]);
        }

        if (request.Ramp is { } ramp)
        {
            args.AddRange(["--ramp", ramp]);
        }

        if (request.Lab)
        {
            args.AddRange(run.LabArgs);
        }

        args.AddRange(["--out", request.Out]);
        return [.. args];
    }

    private static void Refuse(BenchSuite suite, BenchKnobs knob, bool given, string option)
    {
        if (given && !suite.Knobs.HasFlag(knob))
        {
            throw new Lab.Bench.BenchInputException($"suite '{suite.Name}' takes no {option}; it takes {suite.OptionList()}");
        }
    }
}
