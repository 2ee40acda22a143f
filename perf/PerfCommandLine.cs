using K3sLab.Perf.AgentLb;
using K3sLab.Perf.Api;
using K3sLab.Perf.Datastores;
using K3sLab.Perf.Footprint;
using K3sLab.Perf.LabUp;
using K3sLab.Perf.Raft;
using K3sLab.Perf.Scheduling;
using K3sLab.Perf.Store;

namespace K3sLab.Perf;

/// <summary>
/// Entry point of the benchmark suites: <c>K3sLab.Perf &lt;suite&gt; [--out dir]</c>; each writes its results to files.
/// Besides the flags in the usage line, <c>k3slab bench</c> maps to: store and raft <c>--duration S</c>, api
/// <c>--watch-only --duration S --rate R</c>, raft <c>--failover-only</c>, lab <c>--servers N --agents M</c>.
/// </summary>
internal static class PerfCommandLine
{
    private const string DefaultOut = "perf/results";
    private const string Usage = "usage: K3sLab.Perf <suite> [--out dir]; suites: footprint [--max-server-rss-mib N], store [--quick] [--churn-revisions N], api [--quick] [--gate] [--http1] [--connections N] [--watch-only] [--rate R] [--duration S] [--ramp FROM-TO/s:SECONDS] [--cluster NAME] [--threshold [phase:]metric<value ...], raft [--quick] [--trials N] [--rounds N] [--clients 1,200] [--no-check-perf] [--snapshot-count N] [--client grpc|direct] [--min-ratio R], agentlb [--trials N] [--lab], lab [--repeats N], scheduling [--pods N] [--nodes N] [--startup N], datastores [--quick] [--only sqlite,embedded,embedded3,etcd,postgres], scale [--quick] [--nodes N].";

    public static async Task<int> RunAsync(string[] args)
    {
        var suite = args.FirstOrDefault();
        if (args.Contains("--help") || args.Contains("-h"))
        {
            // Never a run: every suite takes minutes and writes its results over the last ones.
            Console.WriteLine(Usage);
            return 0;
        }

        var outIndex = Array.IndexOf(args, "--out");
        var output = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : DefaultOut;
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        switch (suite)
        {
            case "footprint":
                var gateIndex = Array.IndexOf(args, "--max-server-rss-mib");
                double? gate = gateIndex >= 0 && gateIndex + 1 < args.Length ? double.Parse(args[gateIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : null;
                return await FootprintSuite.RunAsync(output, gate, cancel.Token);
            case "store":
                var options = args.Contains("--quick") ? StoreSuiteOptions.Quick : StoreSuiteOptions.Full;
                var churnIndex = Array.IndexOf(args, "--churn-revisions");
                if (churnIndex >= 0 && churnIndex + 1 < args.Length)
                {
                    options = options with { ChurnRevisions = long.Parse(args[churnIndex + 1], System.Globalization.CultureInfo.InvariantCulture) };
                }

                if (Seconds(args) is { } storeDuration)
                {
                    options = options with { LevelDuration = storeDuration, WatchDuration = storeDuration };
                }

                return await StoreSuite.RunAsync(output, options, cancel.Token);
            case "raft":
                var raft = args.Contains("--quick") ? RaftSuiteOptions.Quick : RaftSuiteOptions.Full;
                var trialsIndex = Array.IndexOf(args, "--trials");
                if (trialsIndex >= 0 && trialsIndex + 1 < args.Length)
                {
                    raft = raft with { FailoverTrials = int.Parse(args[trialsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) };
                }

                if (args.Contains("--no-check-perf"))
                {
                    raft = raft with { CheckPerfLoads = [] };
                }

                var roundsIndex = Array.IndexOf(args, "--rounds");
                if (roundsIndex >= 0 && roundsIndex + 1 < args.Length)
                {
                    raft = raft with { Rounds = Math.Max(1, int.Parse(args[roundsIndex + 1], System.Globalization.CultureInfo.InvariantCulture)) };
                }

                var clientsIndex = Array.IndexOf(args, "--clients");
                if (clientsIndex >= 0 && clientsIndex + 1 < args.Length)
                {
                    raft = raft with { ClientLevels = [.. args[clientsIndex + 1].Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))] };
                }

                if (args.Contains("--failover-only"))
                {
                    raft = raft with { ClientLevels = [], CheckPerfLoads = [] };
                }

                if (Seconds(args) is { } raftDuration)
                {
                    raft = raft with { LevelDuration = raftDuration };
                }

                var snapshotIndex = Array.IndexOf(args, "--snapshot-count");
                if (snapshotIndex >= 0 && snapshotIndex + 1 < args.Length)
                {
                    raft = raft with { SnapshotCount = ulong.Parse(args[snapshotIndex + 1], System.Globalization.CultureInfo.InvariantCulture) };
                }

                var clientIndex = Array.IndexOf(args, "--client");
                if (clientIndex >= 0 && clientIndex + 1 < args.Length)
                {
                    raft = raft with { Client = Enum.Parse<PutClient>(args[clientIndex + 1], ignoreCase: true) };
                }

                var ratioIndex = Array.IndexOf(args, "--min-ratio");
                var minRatio = ratioIndex >= 0 && ratioIndex + 1 < args.Length ? double.Parse(args[ratioIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
                return await RaftSuite.RunAsync(output, raft, minRatio, cancel.Token);
            case "api":
                var api = args.Contains("--quick") ? ApiSuiteOptions.Quick : ApiSuiteOptions.Full;
                if (args.Contains("--http1"))
                {
                    api = api with { HttpVersion = System.Net.HttpVersion.Version11 };
                }

                var connectionsIndex = Array.IndexOf(args, "--connections");
                if (connectionsIndex >= 0 && connectionsIndex + 1 < args.Length)
                {
                    api = api with { Connections = int.Parse(args[connectionsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) };
                }

                try
                {
                    api = api with
                    {
                        WatchOnly = args.Contains("--watch-only"),
                        WatchDuration = Seconds(args) ?? api.WatchDuration,
                        Thresholds = [.. args.Select((a, i) => (a, i)).Where(p => p.a == "--threshold" && p.i + 1 < args.Length).Select(p => K3sLab.Lab.Bench.LoadThreshold.Parse(args[p.i + 1]))],
                    };
                    var rampIndex = Array.IndexOf(args, "--ramp");
                    if (rampIndex >= 0)
                    {
                        api = api with { Ramp = rampIndex + 1 < args.Length ? K3sLab.Lab.Bench.ArrivalSchedule.Parse(args[rampIndex + 1]) : throw new K3sLab.Lab.Bench.BenchInputException("--ramp needs FROM-TO/s:SECONDS, e.g. 100-2000/s:20") };
                    }
                }
                catch (K3sLab.Lab.Bench.BenchInputException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return 2;
                }

                if (args.Contains("--rate"))
                {
                    api = api.WithWatchRate(IntArg(args, "--rate", 0));
                }

                var clusterIndex = Array.IndexOf(args, "--cluster");
                var cluster = clusterIndex >= 0 && clusterIndex + 1 < args.Length ? args[clusterIndex + 1] : null;
                return await ApiSuite.RunAsync(output, api, args.Contains("--gate"), cancel.Token, cluster);
            case "lab":
                var repeatsIndex = Array.IndexOf(args, "--repeats");
                var repeats = repeatsIndex >= 0 && repeatsIndex + 1 < args.Length ? int.Parse(args[repeatsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 5;
                var shapes = args.Contains("--servers") ? new[] { (IntArg(args, "--servers", 1), IntArg(args, "--agents", 0)) } : null;
                return await LabUpSuite.RunAsync(output, repeats, cancel.Token, shapes);
            case "agentlb":
                var lbTrialsIndex = Array.IndexOf(args, "--trials");
                var lbTrials = lbTrialsIndex >= 0 && lbTrialsIndex + 1 < args.Length ? int.Parse(args[lbTrialsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 20;
                return args.Contains("--lab")
                    ? await AgentLb.LabAgentLbSuite.RunAsync(output, lbTrials, cancel.Token)
                    : await AgentLbSuite.RunAsync(output, lbTrials, cancel.Token);
            case "scheduling":
                return await SchedulingSuite.RunAsync(output, IntArg(args, "--pods", 1000), IntArg(args, "--nodes", 50), IntArg(args, "--startup", 100), cancel.Token);
            case "datastores":
                var onlyIndex = Array.IndexOf(args, "--only");
                IReadOnlyList<string> datastores = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : ComparedDatastore.All;
                return await DatastoreComparisonSuite.RunAsync(output, datastores, args.Contains("--quick"), cancel.Token);
            case "scale":
                var scale = args.Contains("--quick") ? Scale.ScaleOptions.Quick : Scale.ScaleOptions.Full;
                return await Scale.ScaleSuite.RunAsync(output, scale with { Nodes = IntArg(args, "--nodes", scale.Nodes) }, cancel.Token);
            default:
                await Console.Error.WriteLineAsync($"{Usage} Unknown suite '{suite}'.");
                return 2;
        }
    }

    /// <summary>The time after <c>--duration</c> in seconds, or null.</summary>
    private static TimeSpan? Seconds(string[] args)
    {
        var index = Array.IndexOf(args, "--duration");
        return index >= 0 && index + 1 < args.Length ? TimeSpan.FromSeconds(double.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>The integer after <paramref name="flag"/>, or <paramref name="fallback"/>.</summary>
    private static int IntArg(string[] args, string flag, int fallback)
    {
        var index = Array.IndexOf(args, flag);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
