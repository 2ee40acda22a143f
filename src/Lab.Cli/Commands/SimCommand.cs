using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using K3sLab.Scenarios.Simulation;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab sim</c>: runs deterministic Raft cluster simulations, seeds in parallel (each seed is deterministic on
/// its own); prints failing seeds with a replay line and a summary with seeds per hour. <c>--seed S --seeds 1</c>
/// prints that seed's summary, and <c>--trace</c> its event log.
/// </summary>
internal static class SimCommand
{
    private static readonly Dictionary<string, PlantedBug> s_bugs = new(StringComparer.Ordinal)
    {
        ["none"] = PlantedBug.None,
        ["ack-before-fsync"] = PlantedBug.AckBeforeFsync,
        ["forget-vote"] = PlantedBug.ForgetVoteOnRestart,
        ["stale-read"] = PlantedBug.StaleLocalRead,
        ["corrupt-wal"] = PlantedBug.CorruptSyncedWal,
        ["read-before-applied"] = PlantedBug.ReadBeforeApplied,
        ["count-learner-vote"] = PlantedBug.CountLearnerVote,
        ["commit-without-quorum"] = PlantedBug.CommitWithoutQuorum,
        ["stale-reads"] = PlantedBug.StaleReadAnyMember,
    };

    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "How many seeds to run, starting at --seed", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "First seed (with --seeds 1: replay one seed)", DefaultValueFactory = _ => 1 };
        var members = new Option<int>("--members") { Description = "Cluster size (0: each seed picks 3 or 5)", DefaultValueFactory = _ => 0 };
        var bug = new Option<string>("--plant-bug") { Description = "Test-only planted bug: " + string.Join(" | ", s_bugs.Keys), DefaultValueFactory = _ => "none" };
        bug.AcceptOnlyFromAmong([.. s_bugs.Keys]);
        var trace = new Option<bool>("--trace") { Description = "Print each seed's event log (use with --seeds 1)" };
        var peerDown = new Option<bool>("--peer-down-reports") { Description = "Tell survivors' cores of process deaths as a transport seeing a refused connection does (RaftNode.ReportPeerDown), plus a few wrong reports" };
        var scenario = new Option<string?>("--scenario") { Description = "Run a chaos scenario's steps (a library name, a YAML file, or 'all' for every library scenario the simulator can run) instead of the random fault mix" };
        var workers = new Option<int>("--workers") { Description = "Seeds run in parallel", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("sim", "Run the deterministic Raft simulator: mixed faults, then heal; checks safety, convergence, linearizability and watch guarantees");
        cmd.Options.Add(seeds);
        cmd.Options.Add(seed);
        cmd.Options.Add(members);
        cmd.Options.Add(bug);
        cmd.Options.Add(trace);
        cmd.Options.Add(peerDown);
        cmd.Options.Add(workers);
        cmd.Options.Add(scenario);
        cmd.SetAction((parseResult, ct) =>
        {
            var planted = s_bugs[parseResult.GetValue(bug)!];
            var first = parseResult.GetValue(seed);
            var count = Math.Max(1, parseResult.GetValue(seeds));
            var size = parseResult.GetValue(members);
            var tracing = parseResult.GetValue(trace);
            var reports = parseResult.GetValue(peerDown);
            if (parseResult.GetValue(scenario) is { } scripted)
            {
                var workerCount = Math.Max(1, parseResult.GetValue(workers));
                return Task.FromResult(scripted == "all"
                    ? SimScenarioRun.RunAll(first, count, planted, workerCount, ct)
                    : SimScenarioRun.Run(scripted, first, count, planted, tracing, workerCount, ct));
            }

            var results = new SimulationResult?[count];
            var watch = Stopwatch.StartNew();
            var gate = new object();
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parseResult.GetValue(workers)), CancellationToken = ct }, i =>
            {
                var result = new ClusterSimulator(new SimulationOptions(first + i) { Members = size, Bug = planted, PeerDownReports = reports, Trace = tracing, TraceSink = tracing && count == 1 ? Console.WriteLine : null }).Run();
                results[i] = result;
                if (!result.Passed || count == 1)
                {
                    lock (gate)
                    {
                        Print(result, tracing && count > 1, count == 1);
                    }
                }
            });
            watch.Stop();
            var done = results.Where(r => r is not null).Select(r => r!).ToList();
            var safety = done.Count(r => r.Kind == FailureKind.Safety);
            var liveness = done.Count(r => r.Kind == FailureKind.Liveness);
            var undecided = done.Count(r => r.Stats.LinearizabilityUndecided);
            var firstFailure = Array.FindIndex(results, r => r is { Passed: false });
            var reportsText = reports ? string.Create(CultureInfo.InvariantCulture, $", {done.Sum(r => r.Stats.PeerDownReports)} peer-down reports ({done.Sum(r => r.Stats.WrongPeerDownReports)} wrong)") : string.Empty;
            var perHour = done.Count / Math.Max(watch.Elapsed.TotalHours, 1e-9);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{done.Count} seeds ({first}..{first + count - 1}), {safety} safety violations, {liveness} liveness failures, {undecided} undecided linearizability checks; " +
                $"first failure after {(firstFailure < 0 ? "-" : (firstFailure + 1).ToString(CultureInfo.InvariantCulture))} seeds; " +
                $"{done.Sum(r => r.Stats.Operations)} client ops, {done.Sum(r => r.Stats.AcknowledgedWrites)} acknowledged writes, {done.Sum(r => r.Stats.Crashes)} crashes ({done.Sum(r => r.Stats.PowerLosses)} power losses, {done.Sum(r => r.Stats.TornTails)} torn tails), {done.Sum(r => r.Stats.Partitions)} partitions, {done.Sum(r => r.Stats.Pauses)} pauses, " +
                $"{done.Sum(r => r.Stats.SnapshotsMade)} snapshots made ({done.Sum(r => r.Stats.SnapshotsReceived)} installed), {done.Sum(r => r.Stats.Isolations)} cut-offs, {done.Sum(r => r.Stats.Transfers)} transfers, {done.Sum(r => r.Stats.ConfChanges)} membership changes, {done.Sum(r => r.Stats.ReadIndexReads)} read-index reads{reportsText}; " +
                $"{watch.Elapsed.TotalSeconds:F1}s on {parseResult.GetValue(workers)} workers, {perHour:F0} seeds/hour"));
            return Task.FromResult(safety + liveness == 0 ? 0 : 1);
        });
        return cmd;
    }

    private static void Print(SimulationResult result, bool trace, bool details)
    {
        if (trace)
        {
            foreach (var line in result.Trace)
            {
                Console.WriteLine(line);
            }
        }
        Console.WriteLine(result);
        if (details)
        {
            var s = result.Stats;
            Console.WriteLine($"  members {s.Members}; faults: {s.FaultMix}");
            Console.WriteLine($"  {s.Ticks} ticks ({s.HealTicksUsed} in heal), {s.Leaders} leaders, {s.Operations} client ops ({s.IndeterminateOperations} indeterminate), {s.AcknowledgedWrites} acknowledged writes");
            Console.WriteLine($"  {s.Crashes} crashes ({s.PowerLosses} power losses, {s.TornTails} torn tails dropped), {s.Partitions} partitions, {s.Pauses} pauses; {s.MessagesDelivered} messages delivered, {s.MessagesDropped} dropped");
            Console.WriteLine($"  {s.SnapshotsMade} snapshots made, {s.SnapshotsReceived} installed, {s.Isolations} cut-offs, {s.Transfers} leader transfers, {s.ConfChanges} membership changes, {s.ReadIndexReads} read-index reads");
            Console.WriteLine($"  {s.WatchEvents} watch events delivered; linearizability search {s.LinearizabilitySteps} steps{(s.LinearizabilityUndecided ? " (undecided)" : "")}; trace hash {result.TraceHash:x16}");
        }
    }
}
