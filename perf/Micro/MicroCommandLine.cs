using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using K3sLab.K3s;
using K3sLab.Perf.Micro.Benchmarks;

namespace K3sLab.Perf.Micro;

/// <summary>
/// <c>K3sLab.Perf.Micro --alloc [--out dir] [--filter name]</c> measures bytes per operation for the CI gate (seconds);
/// any other arguments go to BenchmarkDotNet (for example <c>--filter '*' --job short</c>), which runs in process
/// (<c>--inProcess</c>) with its memory diagnoser, for times and allocations both.
/// </summary>
internal static class MicroCommandLine
{
    private static readonly Type[] s_benchmarks = [typeof(StoreBenchmarks), typeof(RaftBenchmarks), typeof(JsonBenchmarks), typeof(WatchBenchmarks)];

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            PlantedBugs.ThrowIfUnknown();
        }
        catch (K3sLab.K3s.Bootstrap.BootstrapException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }

        var output = Value(args, "--out") ?? "perf/results";
        if (!args.Contains("--alloc"))
        {
            // In process: the benchmarks reach the runtime's internals, and an in-process run needs no generated project.
            var config = DefaultConfig.Instance
                .AddDiagnoser(MemoryDiagnoser.Default)
                .WithArtifactsPath(Path.Combine(output, "micro-bdn"));
            string[] passed = [.. args.Where((a, i) => a != "--out" && (i == 0 || args[i - 1] != "--out"))];
            var summaries = BenchmarkSwitcher.FromTypes(s_benchmarks).Run(passed.Contains("--inProcess") ? passed : ["--inProcess", .. passed], config);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }

        if (PlantedBugs.Active is { } bug)
        {
            await Console.Error.WriteLineAsync($"warning: planted bug {bug} is on ({PlantedBugs.Variable}); these figures are not a baseline");
        }

        var figures = AllocationProbe.Measure(s_benchmarks, Value(args, "--filter"));
        foreach (var figure in figures)
        {
            Console.WriteLine(FormattableString.Invariant($"{figure.Name}: {figure.BytesPerOperation:N1} bytes/op over {figure.Operations} ops"));
        }

        await MicroReport.WriteAsync(output, figures, PlantedBugs.Active, CancellationToken.None);
        Console.WriteLine($"micro: {figures.Count} benchmarks, allocations in {Path.Combine(output, "micro.json")}");
        return 0;
    }

    private static string? Value(string[] args, string flag)
    {
        var index = Array.IndexOf(args, flag);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
