using System.CommandLine;
using System.Diagnostics;
using K3sLab.Scenarios.Simulation;

namespace K3sLab.Cli.Commands;

/// <summary><c>k3slab sim</c>: runs deterministic Raft cluster simulations; a failing seed replays exactly with --seed.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "How many seeds to run, starting at --seed", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "First seed (alone with --seeds 1: replay one seed)", DefaultValueFactory = _ => 1 };
        var members = new Option<int>("--members") { Description = "Cluster size", DefaultValueFactory = _ => 3 };
        var bug = new Option<string>("--plant-bug") { Description = "Test-only planted bug: none | ack-before-fsync | forget-vote", DefaultValueFactory = _ => "none" };
        var cmd = new Command("sim", "Run the deterministic Raft simulator: mixed faults, then heal; checks safety and convergence");
        cmd.Options.Add(seeds);
        cmd.Options.Add(seed);
        cmd.Options.Add(members);
        cmd.Options.Add(bug);
        cmd.SetAction((parseResult, ct) =>
        {
            var planted = parseResult.GetValue(bug) switch
            {
                "ack-before-fsync" => PlantedBug.AckBeforeFsync,
                "forget-vote" => PlantedBug.ForgetVoteOnRestart,
                _ => PlantedBug.None,
            };
            var first = parseResult.GetValue(seed);
            var count = parseResult.GetValue(seeds);
            var size = parseResult.GetValue(members);
            var watch = Stopwatch.StartNew();
            var failures = 0;
            var run = 0;
            int? firstFailure = null;
            for (var s = first; s < first + count && !ct.IsCancellationRequested; s++)
            {
                var result = new ClusterSimulator(new SimulationOptions(s) { Members = size, Bug = planted }).Run();
                run++;
                if (!result.Passed || count == 1)
                {
                    Console.WriteLine(result);
                }
                if (!result.Passed)
                {
                    failures++;
                    firstFailure ??= s - first + 1;
                }
            }
            var perHour = run / Math.Max(watch.Elapsed.TotalHours, 1e-9);
            Console.WriteLine($"{run} seeds, {failures} failed, first failure after {(firstFailure?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-")} seeds, {watch.Elapsed.TotalSeconds:F1}s, {perHour:F0} seeds/hour");
            return Task.FromResult(failures == 0 ? 0 : 1);
        });
        return cmd;
    }
}
