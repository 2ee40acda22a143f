using System.Diagnostics;
using System.Globalization;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Simulation;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab sim --scenario &lt;name|file&gt;</c>: runs a chaos scenario's steps in the deterministic simulator for a
/// range of seeds. Prints what the simulator skips (agents, the balancer, readyz...) once, every failing seed with its
/// replay line, one seed's steps with their virtual times when a single seed runs, and per expectation the virtual
/// time it took over all seeds.
/// </summary>
internal static class SimScenarioRun
{
    public static int Run(string scenario, int first, int count, PlantedBug bug, bool tracing, int workers, CancellationToken ct)
    {
        ScenarioPlan plan;
        try
        {
            plan = ScenarioPlan.From(ScenarioLibrary.Find(scenario));
        }
        catch (Exception e) when (e is ScenarioFormatException or ScenarioNotSimulatableException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        return Run(plan, first, count, bug, tracing, workers, ct);
    }

    private static int Run(ScenarioPlan plan, int first, int count, PlantedBug bug, bool tracing, int workers, CancellationToken ct)
    {

        Console.WriteLine($"scenario {plan.Definition.Name}: {plan.Members} members, {plan.Clients} clients ({plan.Routing}), {plan.Keys} keys, {plan.Watchers} watchers; 1 tick = {ScenarioPlan.TickMilliseconds} ms of virtual time");
        foreach (var skipped in plan.Skipped)
        {
            Console.WriteLine($"  skipped: {skipped}");
        }

        var results = new SimulationResult?[count];
        var gate = new object();
        var watch = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct }, i =>
        {
            var options = new SimulationOptions(first + i) { Scenario = plan, Bug = bug, Trace = tracing, TraceSink = tracing && count == 1 ? Console.WriteLine : null };
            var result = new ClusterSimulator(options).Run();
            results[i] = result;
            if (!result.Passed || count == 1)
            {
                lock (gate)
                {
                    Console.WriteLine(result);
                }
            }
        });
        watch.Stop();
        var done = results.Where(r => r is not null).Select(r => r!).ToList();
        if (count == 1 && done.Count == 1)
        {
            foreach (var s in done[0].ScriptSteps)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.At,7:0.0} s  +{s.Took,5:0.0} s  line {s.Line,-3} {s.Step}{(s.Skipped is null ? "" : $"  [skipped: {s.Skipped}]")}"));
            }
        }

        PrintDistributions(done);
        var failed = done.Count(r => !r.Passed);
        var firstFailure = Array.FindIndex(results, r => r is { Passed: false });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{done.Count} seeds ({first}..{first + count - 1}) of {plan.Definition.Name}: {done.Count(r => r.Passed)} passed, {done.Count(r => r.Kind == FailureKind.Safety)} safety violations, " +
            $"{done.Count(r => r.Kind == FailureKind.Expectation)} unmet expectations, {done.Count(r => r.Kind == FailureKind.Liveness)} liveness failures; " +
            $"first failure after {(firstFailure < 0 ? "-" : (firstFailure + 1).ToString(CultureInfo.InvariantCulture))} seeds; " +
            $"{done.Sum(r => r.Stats.Operations)} client ops, {done.Sum(r => r.Stats.AcknowledgedWrites)} acknowledged writes, {done.Sum(r => r.Stats.PowerLosses)} power losses ({done.Sum(r => r.Stats.PowerLossesWithUnsynced)} dropped {done.Sum(r => r.Stats.UnsyncedBytesLost)} unsynced bytes, {done.Sum(r => r.Stats.TornTails)} torn tails found at restart); " +
            $"{watch.Elapsed.TotalSeconds:F1}s on {workers} workers"));
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Every library scenario: runs those the simulator can, and says why it cannot run the others.</summary>
    public static int RunAll(int first, int count, PlantedBug bug, int workers, CancellationToken ct)
    {
        var failed = 0;
        foreach (var definition in ScenarioLibrary.All())
        {
            ScenarioPlan plan;
            try
            {
                plan = ScenarioPlan.From(definition);
            }
            catch (ScenarioNotSimulatableException e)
            {
                Console.WriteLine($"not simulated: {e.Message}");
                Console.WriteLine();
                continue;
            }

            failed += Run(plan, first, count, bug, tracing: false, workers, ct) == 0 ? 0 : 1;
            Console.WriteLine();
        }

        return failed == 0 ? 0 : 1;
    }

    private static void PrintDistributions(IReadOnlyList<SimulationResult> done)
    {
        var passed = done.Where(r => r.Passed).ToList();
        if (passed.Count < 2)
        {
            return;
        }

        Console.WriteLine("  virtual seconds over the passing seeds (min / median / max):");
        foreach (var line in passed[0].ScriptSteps.Where(s => s.Skipped is null && s.Step.StartsWith("expect", StringComparison.Ordinal)).Select(s => s.Line))
        {
            var took = passed.Select(r => r.ScriptSteps.First(s => s.Line == line)).Select(s => s.Took).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    line {line,-3} {passed[0].ScriptSteps.First(s => s.Line == line).Step}: {took[0]:0.0} / {took[took.Count / 2]:0.0} / {took[^1]:0.0}"));
        }

        var gaps = passed.Select(r => r.WidestWriteGap.Seconds).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    widest write gap: {gaps[0]:0.0} / {gaps[gaps.Count / 2]:0.0} / {gaps[^1]:0.0}"));
    }
}
