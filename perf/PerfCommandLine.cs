using K3sLab.Perf.Footprint;

namespace K3sLab.Perf;

/// <summary>Entry point of the benchmark suites: <c>K3sLab.Perf &lt;suite&gt; [--out dir]</c>; each writes its results to files.</summary>
internal static class PerfCommandLine
{
    private const string DefaultOut = "perf/results";

    public static async Task<int> RunAsync(string[] args)
    {
        var suite = args.FirstOrDefault();
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
                return await FootprintSuite.RunAsync(output, cancel.Token);
            default:
                await Console.Error.WriteLineAsync($"usage: K3sLab.Perf <suite> [--out dir]; suites: footprint. Unknown suite '{suite}'.");
                return 2;
        }
    }
}
