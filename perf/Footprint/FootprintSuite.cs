using System.Diagnostics;
using System.Globalization;
using System.Text;
using K3sLab.Lab;
using K3sLab.Lab.Host;

namespace K3sLab.Perf.Footprint;

/// <summary>
/// Measures the published runtime on this host: the size of what a node image ships, the wall time of
/// <c>k3s --version</c> (process start to exit), and the idle resident memory and CPU of the long-running
/// commands (<c>k3s server</c>, <c>k3s datastore serve</c>). Writes <c>footprint.md</c> and <c>footprint.json</c> to the output folder.
/// </summary>
internal static class FootprintSuite
{
    private const int StartRuns = 20;
    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

    /// <param name="outputDirectory">Where footprint.md and footprint.json go.</param>
    /// <param name="maxServerRssMiB">A gate: exit 1 when the idle server's RSS is above it (null: no gate).</param>
    /// <param name="cancellationToken">Stops the measurement.</param>
    public static async Task<int> RunAsync(string outputDirectory, double? maxServerRssMiB, CancellationToken cancellationToken)
    {
        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        var shippedBytes = Directory.EnumerateFiles(LabPaths.RuntimeBin).Sum(f => new FileInfo(f).Length);
        var starts = new List<double>();
        for (var i = 0; i < StartRuns; i++)
        {
            starts.Add(await TimeVersionAsync(k3s, cancellationToken));
        }

        starts.Sort();
        var server = await MeasureIdleAsync(k3s, dir => ["server", "--disable-agent", "--data-dir", $"{dir}/data", "--bind-address", "127.0.0.1", "--https-listen-port", "{port}", "--write-kubeconfig", $"{dir}/k3s.yaml"], cancellationToken);
        var idle = await MeasureIdleAsync(k3s, dir => ["datastore", "serve", "--endpoint", $"sqlite://{dir}/state.db", "--listen-address", "127.0.0.1:{port}"], cancellationToken);

        Directory.CreateDirectory(outputDirectory);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder()
            .AppendLine("# Runtime footprint")
            .AppendLine()
            .AppendLine(inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores; runtime `{k3s}`.")
            .AppendLine()
            .AppendLine("| measure | value |")
            .AppendLine("|---|---|")
            .AppendLine(inv, $"| shipped files (k3s + native libs) | {shippedBytes / 1048576.0:0.0} MiB |")
            .AppendLine(inv, $"| `k3s --version` wall time, median of {StartRuns} | {Percentile(starts, 0.5):0.0} ms |")
            .AppendLine(inv, $"| `k3s --version` wall time, p90 / max | {Percentile(starts, 0.9):0.0} / {starts[^1]:0.0} ms |")
            .AppendLine(inv, $"| `k3s server --disable-agent` time to accept connections | {Format(server?.ReadyMs, "ms")} |")
            .AppendLine(inv, $"| `k3s server --disable-agent` idle RSS after {IdleSettle.TotalSeconds:0} s | {Format(server?.RssMiB, "MiB")} |")
            .AppendLine(inv, $"| `k3s server --disable-agent` idle CPU over {IdleWindow.TotalSeconds:0} s | {Format(server?.CpuPercent, "% of a core")} |")
            .AppendLine(inv, $"| `k3s datastore serve` time to accept connections | {Format(idle?.ReadyMs, "ms")} |")
            .AppendLine(inv, $"| `k3s datastore serve` idle RSS after {IdleSettle.TotalSeconds:0} s | {Format(idle?.RssMiB, "MiB")} |")
            .AppendLine(inv, $"| `k3s datastore serve` idle CPU over {IdleWindow.TotalSeconds:0} s | {Format(idle?.CpuPercent, "% of a core")} |");
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "footprint.md"), md.ToString(), cancellationToken);
        var json = string.Create(inv, $$"""{"shippedBytes":{{shippedBytes}},"versionMedianMs":{{Percentile(starts, 0.5):0.0}},"versionP90Ms":{{Percentile(starts, 0.9):0.0}},"serverReadyMs":{{server?.ReadyMs ?? -1:0.0}},"serverIdleRssMiB":{{server?.RssMiB ?? -1:0.0}},"serverIdleCpuPercent":{{server?.CpuPercent ?? -1:0.00}},"serveReadyMs":{{idle?.ReadyMs ?? -1:0.0}},"serveIdleRssMiB":{{idle?.RssMiB ?? -1:0.0}},"serveIdleCpuPercent":{{idle?.CpuPercent ?? -1:0.00}}}""");
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "footprint.json"), json + "\n", cancellationToken);
        Console.Write(md.ToString());
        if (maxServerRssMiB is { } limit)
        {
            if (server is null || server.RssMiB > limit)
            {
                await Console.Error.WriteLineAsync(string.Create(inv, $"gate failed: idle k3s server RSS {Format(server?.RssMiB, "MiB")} is over the {limit:0} MiB budget"));
                return 1;
            }

            Console.WriteLine(string.Create(inv, $"gate passed: idle k3s server RSS {server.RssMiB:0.0} MiB <= {limit:0} MiB"));
        }

        return 0;
    }

    private static async Task<double> TimeVersionAsync(string k3s, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(k3s, "--version") { RedirectStandardOutput = true })!;
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return watch.Elapsed.TotalMilliseconds;
    }

    private sealed record IdleFigures(double ReadyMs, double RssMiB, double CpuPercent);

    /// <summary>
    /// Starts a long-running k3s command on a free loopback port (<c>{port}</c> in its arguments) with a scratch
    /// folder, waits until it accepts connections, lets it settle, then samples its RSS and CPU time from /proc.
    /// </summary>
    private static async Task<IdleFigures?> MeasureIdleAsync(string k3s, Func<string, string[]> arguments, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("k3slab-footprint-");
        var port = Loopback.FreePort();
        var args = arguments(dir.FullName).Select(a => a.Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToArray();
        var start = new ProcessStartInfo(k3s, args) { RedirectStandardOutput = true, RedirectStandardError = true };

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        try
        {
            while (!await Loopback.AcceptsAsync(port, cancellationToken))
            {
                if (process.HasExited || watch.Elapsed > TimeSpan.FromSeconds(30))
                {
                    await Console.Error.WriteLineAsync($"note: 'k3s {args[0]}' did not come up (exited: {process.HasExited}); its idle figures are not measured.");
                    return null;
                }

                await Task.Delay(10, cancellationToken);
            }

            var readyMs = watch.Elapsed.TotalMilliseconds;
            await Task.Delay(IdleSettle, cancellationToken);
            var cpuBefore = ProcessStats.CpuSecondsOf(process.Id);
            await Task.Delay(IdleWindow, cancellationToken);
            var cpuSeconds = ProcessStats.CpuSecondsOf(process.Id) - cpuBefore;
            return new IdleFigures(readyMs, ProcessStats.ResidentMiB(process.Id), cpuSeconds / IdleWindow.TotalSeconds * 100);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            dir.Delete(recursive: true);
        }
    }

    private static double Percentile(List<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];

    private static string Format(double? value, string unit) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {unit}") : "not measured";
}
