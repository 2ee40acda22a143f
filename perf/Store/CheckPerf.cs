using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.Perf.Store;

/// <summary>What one <c>etcdctl check perf</c> run printed.</summary>
internal sealed record CheckPerfRun(string Load, bool Passed, int? WritesPerSecond, double? SlowestSeconds, double? StddevSeconds, string Verdicts);

/// <summary>
/// Runs etcd's own load check, <c>etcdctl check perf --load=&lt;m|l&gt;</c> (etcdctl 3.4 from /usr/bin): 60 s of
/// rate-limited 1 KiB puts from 200 (m, 1,000 w/s) or 500 (l, 8,000 w/s) clients; it passes when throughput reaches
/// 90% of the target, the slowest put is under 0.5 s and the standard deviation under 0.1 s.
/// </summary>
internal static partial class CheckPerf
{
    public static Task<CheckPerfRun> RunAsync(StoreProcess store, string load, CancellationToken ct) =>
        RunAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{store.Port}"), load, ct);

    /// <summary>Runs the check against <paramref name="endpoints"/>, etcdctl's comma-separated host:port list.</summary>
    public static async Task<CheckPerfRun> RunAsync(string endpoints, string load, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/usr/bin/etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ETCDCTL_API"] = "3";

        // Scheme-less endpoint: etcdctl 3.4 would put "http://" into the HTTP/2 authority (see docs/datastore.md).
        foreach (var arg in new[] { $"--endpoints={endpoints}", "check", "perf", $"--load={load}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var lines = ((await stdout) + "\n" + (await stderr)).Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Contains("Throughput", StringComparison.Ordinal) || l.Contains("Slowest", StringComparison.Ordinal)
                || l.Contains("Stddev", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal) || l.StartsWith("PASS", StringComparison.Ordinal)
                || l.StartsWith("Error", StringComparison.Ordinal))
            .ToList();
        var text = string.Join("; ", lines);
        return new CheckPerfRun(
            load,
            process.ExitCode == 0 && !lines.Any(l => l.StartsWith("FAIL", StringComparison.Ordinal)),
            Number(ThroughputPattern(), text) is { } w ? (int)w : null,
            Number(SlowestPattern(), text),
            Number(StddevPattern(), text),
            text.Length > 0 ? text : $"etcdctl exited {process.ExitCode} without a verdict");
    }

    private static double? Number(Regex pattern, string text) =>
        pattern.Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"(\d+) writes/s")]
    private static partial Regex ThroughputPattern();

    [GeneratedRegex(@"Slowest request took(?: too long)?:? ([0-9.]+)s")]
    private static partial Regex SlowestPattern();

    [GeneratedRegex(@"Stddev (?:is|too high:) ([0-9.]+)s")]
    private static partial Regex StddevPattern();
}
