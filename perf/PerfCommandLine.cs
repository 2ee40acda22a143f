namespace K3sLab.Perf;

/// <summary>Entry point of the benchmark suites; each suite writes its results under perf/results.</summary>
internal static class PerfCommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine($"usage: K3sLab.Perf <suite> [options]; no suite named '{string.Join(' ', args)}'");
        return Task.FromResult(2);
    }
}
