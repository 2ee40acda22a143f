using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Bench;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Bench;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab bench &lt;suite&gt; [--out dir] [--quick] [--duration s] [--rate r] [--servers n] [--cluster name] [--threshold t] [--ramp FROM-TO/s:SECONDS] [--lab]</c> runs one benchmark
/// suite (see <see cref="BenchSuites"/>) and leaves its <c>&lt;suite&gt;.md</c> and <c>.json</c> in the folder;
/// <c>k3slab bench gate</c> compares such results with a checked-in baseline (<see cref="BenchGateCommand"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Run a benchmark suite and write its results (<suite>.md and .json), or gate results against a baseline");
        foreach (var suite in BenchSuites.All)
        {
            command.Subcommands.Add(Suite(suite));
        }

        command.Subcommands.Add(BenchGateCommand.Create());
        return command;
    }

    private static Command Suite(BenchSuite suite)
    {
        var outDir = new Option<string?>("--out") { Description = "Folder for the results (default: perf/results in the repository)" };
        var quick = new Option<bool>("--quick") { Description = "The short smoke version of the suite" };
        var duration = new Option<double?>("--duration") { Description = "Seconds each timed phase runs (suites with timed phases)" };
        var rate = new Option<int?>("--rate") { Description = "Writes per second of the open-loop writer (api, watch)" };
        var servers = new Option<int?>("--servers", "-s") { Description = "Servers of the cluster to bring up (up)" };
        var agents = new Option<int?>("--agents", "-a") { Description = "Agents of the cluster to bring up (up)" };
        var cluster = new Option<string?>("--cluster") { Description = "A running lab cluster to measure instead of a fresh server (api, watch)" };
        var ramp = new Option<string?>("--ramp") { Description = "The open-model create ramp, FROM-TO/s:SECONDS (e.g. 100-3000/s:15): creates sent on schedule at a rising rate (api)" };
        var threshold = new Option<string[]>("--threshold") { Description = "A condition the run must meet or it fails, [phase:]metric op value: p99<50ms, errors<0.1%, create:rate>=2000/s; repeatable (api, watch)" };
        var output = OutputFormat.CreateOption();
        var command = new Command(suite.Name, $"{suite.Description}. Takes {suite.OptionList()}");
        var lab = new Option<bool>("--lab") { Description = "Run the agent load balancer's failover trials on lab containers, killing server nodes with docker kill (failover)" };
        foreach (var option in new Option[] { outDir, quick, duration, rate, servers, agents, cluster, threshold, ramp, lab, output })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(output) == OutputFormat.Json;
            var folder = parse.GetValue(outDir) is { } given ? Path.GetFullPath(given) : Path.Combine(LabPaths.Root, "perf", "results");
            IReadOnlyList<(BenchProgram Program, string[] Args)> runs;
            try
            {
                runs = BenchSuites.CommandLines(suite, new BenchRequest(folder, parse.GetValue(quick), parse.GetValue(duration), parse.GetValue(rate), parse.GetValue(servers), parse.GetValue(agents)) { Cluster = parse.GetValue(cluster), Thresholds = parse.GetValue(threshold) ?? [], Ramp = parse.GetValue(ramp), Lab = parse.GetValue(lab) });
            }
            catch (BenchInputException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }

            var started = DateTime.UtcNow;
            var exit = 0;
            foreach (var (program, args) in runs)
            {
                // Every run goes ahead even when an earlier one failed: what each writes is kept, and the exit code says a run failed.
                await BenchPrograms.EnsureBuiltAsync(program, Console.Error, ct);
                var code = await BenchPrograms.RunAsync(program, args, json, ct);
                exit = exit == 0 ? code : exit;
            }

            var files = Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder).Where(f => File.GetLastWriteTimeUtc(f) >= started.AddSeconds(-1)).Order(StringComparer.Ordinal).ToList()
                : [];
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new BenchRunResult(suite.Name, folder, exit, files), CliJsonContext.Default.BenchRunResult));
            }
            else
            {
                Console.WriteLine($"bench {suite.Name}: {(exit == 0 ? "done" : $"failed (exit {exit})")}; {files.Count} result file(s) in {folder}");
            }

            return exit;
        });
        return command;
    }
}

/// <summary>The machine-readable result of <c>k3slab bench &lt;suite&gt; -o json</c>: the folder, the files the run wrote, and the suite's exit code.</summary>
internal sealed record BenchRunResult(string Suite, string Out, int ExitCode, List<string> Files);
