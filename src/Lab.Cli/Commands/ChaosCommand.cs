using System.CommandLine;
using K3sLab.Lab;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using Microsoft.Extensions.Logging;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab chaos list</c> shows the scenario library; <c>k3slab chaos run &lt;scenario|file&gt; [--repeat N]
/// [--stop-on-failure] [--recovery-timeout S] [--seed S] [--out dir] [--cluster c]</c> runs one on a fresh cluster
/// (or an existing one), writes each run's JSON, Markdown, JUnit and HTML reports, prints one verdict line per run and
/// exits 1 when any run failed.
/// </summary>
internal static class ChaosCommand
{
    private const double MaxRecoverySeconds = 86_400;

    public static Command Create()
    {
        var command = new Command("chaos", "Run chaos scenarios (partitions, power loss, server failures) with checkers for quorum, failover and rejoin");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Run());
        return command;
    }

    private static Command List()
    {
        var list = new Command("list", "List the library's scenarios");
        list.SetAction(_ =>
        {
            var all = ScenarioLibrary.All();
            var width = all.Max(s => s.Name.Length);
            foreach (var s in all)
            {
                Console.WriteLine($"{s.Name.PadRight(width)} {s.Servers} servers, {s.Agents} agents{(s.Datastore == LabDatastore.Auto ? "" : $", datastore {LabDatastores.Word(s.Datastore)}")}{(s.References.Count > 0 ? $"  ({string.Join(", ", s.References)})" : "")}");
                Console.WriteLine($"{new string(' ', width)} {s.Description}");
            }

            return 0;
        });
        return list;
    }

    private static Command Run()
    {
        var scenario = new Argument<string>("scenario") { Description = "A library scenario name (see 'chaos list') or a path to a scenario YAML file" };
        var repeat = new Option<int>("--repeat") { Description = "How many runs", DefaultValueFactory = _ => 1 };
        var stop = new Option<bool>("--stop-on-failure") { Description = "End at the first failed run instead of making every repeat (hunting a rare failure)" };
        var recovery = new Option<double>("--recovery-timeout")
        {
            Description = "Seconds a run waits, after the heal, for the cluster to be whole again before it fails the run",
            DefaultValueFactory = _ => ScenarioRunner.DefaultRecoveryTimeout.TotalSeconds,
        };
        recovery.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is var seconds && !(seconds > 0 && seconds <= MaxRecoverySeconds))
            {
                r.AddError($"--recovery-timeout must be a number of seconds above 0 and at most {MaxRecoverySeconds:N0} (a day); got {seconds}");
            }
        });
        var seed = new Option<int>("--seed") { Description = "The first run's seed (run i uses seed + i - 1)", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Report folder", DefaultValueFactory = _ => "chaos-reports" };
        var cluster = new Option<string?>("--cluster") { Description = "Run on this existing lab cluster instead of creating one" };
        var prefix = new Option<string>("--cluster-prefix") { Description = "Name prefix of the cluster a run creates (<prefix><6 hex>), to tell apart clusters of several people on one engine", DefaultValueFactory = _ => "chaos" };
        string[] bugs = ["stale-reads", "ack-before-commit", "never-fail-back", "ack-before-fsync"];
        var plant = new Option<string?>("--plant-bug") { Description = $"Test only: switch on a deliberate runtime bug in every server and agent to see a check catch it: {string.Join(", ", bugs)}" };
        plant.AcceptOnlyFromAmong(bugs);
        var run = new Command("run", "Run a scenario and write its reports");
        run.Arguments.Add(scenario);
        foreach (var option in new Option[] { repeat, stop, recovery, seed, output, cluster, prefix, plant })
        {
            run.Options.Add(option);
        }

        run.SetAction(async (parse, cancellationToken) =>
        {
            ScenarioDefinition definition;
            try
            {
                definition = ScenarioLibrary.Find(parse.GetValue(scenario)!);
            }
            catch (ScenarioFormatException e)
            {
                throw new LabSetupException(e.Message);
            }

            if (parse.GetValue(cluster) is { } name)
            {
                LabNaming.ValidateClusterName(name);
            }

            var clusterPrefix = parse.GetValue(prefix)!;
            LabNaming.ValidateClusterName(clusterPrefix + "000000");

            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
            var options = new ChaosSessionOptions(Math.Max(1, parse.GetValue(repeat)), parse.GetValue(seed), Path.GetFullPath(parse.GetValue(output)!), parse.GetValue(cluster), parse.GetValue(plant)) { ClusterPrefix = clusterPrefix, StopOnFailure = parse.GetValue(stop), RecoveryTimeout = TimeSpan.FromSeconds(parse.GetValue(recovery)) };
            IReadOnlyList<ChaosRunResult> results;
            try
            {
                results = await new ChaosSession(loggers.CreateLogger("chaos")).RunAsync(definition, options, cancellationToken);
            }
            catch (Exception e) when (e is ChaosRunException or ScenarioFormatException)
            {
                throw new LabSetupException(e.Message);
            }

            foreach (var r in results)
            {
                Console.WriteLine(r.Verdict);
            }

            var stopped = results.Count < options.Repeats && !results[^1].Passed ? $" (stopped at the first failure; {options.Repeats} asked)" : "";
            Console.WriteLine($"{results.Count(r => r.Passed)}/{results.Count} runs passed{stopped}; reports in {Path.Combine(options.Output, definition.Name)}");
            return results.All(r => r.Passed) ? 0 : 1;
        });
        return run;
    }
}
