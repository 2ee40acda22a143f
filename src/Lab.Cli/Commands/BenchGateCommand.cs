using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Bench;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab bench gate --baseline perf/baselines/&lt;file&gt;.json --results &lt;dir&gt;</c>: prints each baseline
/// metric with its measured value, change and verdict; exits 1 on a regression beyond the metric's tolerance and 2
/// when the baseline or results cannot be used (another format, a file or figure missing), naming what is wrong.
/// </summary>
internal static class BenchGateCommand
{
    public static Command Create()
    {
        var baseline = new Option<string>("--baseline") { Description = "The baseline file (format k3slab-bench-baseline/1), e.g. perf/baselines/alloc.json", Required = true };
        var results = new Option<string>("--results") { Description = "The folder a suite wrote its results to (its --out)", Required = true };
        var output = OutputFormat.CreateOption();
        var command = new Command("gate", "Compare results with a baseline: exit 1 on a regression beyond its tolerance, 2 on unusable input");
        command.Options.Add(baseline);
        command.Options.Add(results);
        command.Options.Add(output);
        command.SetAction(async (parse, ct) =>
        {
            // Relative paths are the current folder's; a baseline not found there is looked up in the repository, so
            // perf/baselines/<file>.json works from anywhere.
            var baselinePath = Path.GetFullPath(parse.GetValue(baseline)!);
            if (!File.Exists(baselinePath) && !Path.IsPathRooted(parse.GetValue(baseline)!))
            {
                baselinePath = Path.GetFullPath(parse.GetValue(baseline)!, LabPaths.Root);
            }

            var resultsPath = Path.GetFullPath(parse.GetValue(results)!);
            GateReport report;
            try
            {
                if (!File.Exists(baselinePath))
                {
                    throw new BenchInputException($"baseline {baselinePath} does not exist");
                }

                var read = BaselineReader.Parse(await File.ReadAllTextAsync(baselinePath, ct), baselinePath);
                var (files, problems) = ResultsDirectory.Load(resultsPath, read);
                var compared = BenchGate.Compare(read, files);
                report = compared with { Problems = [.. problems, .. compared.Problems] };
            }
            catch (BenchInputException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }

            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var lines = report.Rows.Select(r => new GateLine(r.Metric, r.Baseline, r.Measured, double.IsFinite(r.Change) ? r.Change : null, r.Limit, r.Verdict.ToString().ToLowerInvariant())).ToList();
                Console.WriteLine(JsonSerializer.Serialize(new BenchGateResult(baselinePath, resultsPath, report.ExitCode, lines, [.. report.Problems]), CliJsonContext.Default.BenchGateResult));
            }
            else
            {
                Console.WriteLine($"gate: {baselinePath} against {resultsPath}");
                Console.WriteLine(GateTable.Format(report));
            }

            return report.ExitCode;
        });
        return command;
    }
}

/// <summary>The machine-readable result of <c>k3slab bench gate -o json</c>: one line per judged metric, the problems, and the exit code.</summary>
internal sealed record BenchGateResult(string Baseline, string Results, int ExitCode, List<GateLine> Metrics, List<string> Problems);

/// <summary>One judged metric; <see cref="Change"/> is relative to the baseline, null when the baseline is 0.</summary>
internal sealed record GateLine(string Metric, double Baseline, double Measured, double? Change, double Limit, string Verdict);
