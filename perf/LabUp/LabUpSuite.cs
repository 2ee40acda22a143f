using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Perf.LabUp;

/// <summary>
/// <c>k3slab up</c> timed end to end (from the first container to every node Ready and every server a voter; the node
/// image already built) for a 3-server/5-agent and a 1-server cluster, several repeats each, and the idle memory of
/// every node container (<c>docker stats</c>) 15 s after each cluster is up. Writes <c>lab.md</c> and <c>lab.json</c>
/// with medians and maxima next to issue 9's goals (3+5 ≤ 15 s, server ≤ 100 MB, agent ≤ 30 MB).
/// </summary>
internal static class LabUpSuite
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(15);

    /// <summary>A second sample of the 3+5 cluster, a minute after it is up: memory must not creep back once settled.</summary>
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(60);

    /// <summary>Brings each cluster shape up <paramref name="repeats"/> times; by default 3+5 and 1+0 (servers+agents).</summary>
    public static async Task<int> RunAsync(string outputDirectory, int repeats, CancellationToken ct, IReadOnlyList<(int Servers, int Agents)>? shapes = null)
    {
        var image = await LabPrerequisites.EnsureNodeImageAsync(NullLogger.Instance, ct);
        using var docker = DockerEngine.CreateClient();
        var provider = new DockerProvider(docker);
        var ups = new List<(string Shape, double Seconds)>();
        var memory = new List<(string Role, double MiB)>();
        foreach (var (servers, agents) in shapes ?? [(3, 5), (1, 0)])
        {
            var shape = $"{servers}+{agents}";
            for (var i = 0; i < repeats; i++)
            {
                var name = $"perfup{i}";
                await provider.DeleteClusterAsync(name, ct);
                try
                {
                    var cluster = await new ClusterCreator(provider, NullLogger.Instance).CreateAsync(new ClusterSpec(name, servers, agents, 0, TimeSpan.FromSeconds(180), KeepOnFailure: false), image, ct);
                    ups.Add((shape, cluster.Elapsed.TotalSeconds));
                    await Task.Delay(Idle, ct);
                    foreach (var (node, mib) in await MemoryAsync(name, ct))
                    {
                        var role = cluster.Nodes.Single(n => n.Name == node).Role;
                        memory.Add(($"{LabNaming.RoleWord(role)} ({shape})", mib));
                    }

                    if (agents > 0)
                    {
                        await Task.Delay(Settled - Idle, ct);
                        foreach (var (node, mib) in await MemoryAsync(name, ct))
                        {
                            var role = cluster.Nodes.Single(n => n.Name == node).Role;
                            memory.Add(($"{LabNaming.RoleWord(role)} ({shape}, after {Settled.TotalSeconds:0} s)", mib));
                        }
                    }

                    Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] up {shape}: {cluster.Elapsed.TotalSeconds:0.0} s");
                }
                finally
                {
                    await provider.DeleteClusterAsync(name, CancellationToken.None);
                    var folder = Path.GetDirectoryName(ClusterKubeconfig.PathFor(name))!;
                    if (Directory.Exists(folder))
                    {
                        Directory.Delete(folder, recursive: true);
                    }
                }
            }
        }

        await WriteAsync(outputDirectory, image, ups, memory, ct);
        return 0;
    }

    private static async Task<List<(string Node, double MiB)>> MemoryAsync(string cluster, CancellationToken ct)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true };
        foreach (var argument in new[] { "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var prefix = $"k3slab-{cluster}-";
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0].StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => (f[0], MiB(f[1])))];
    }

    private static double MiB(string usage)
    {
        var units = new (string Suffix, double Factor)[] { ("GiB", 1024), ("MiB", 1), ("KiB", 1.0 / 1024), ("B", 1.0 / (1024 * 1024)) };
        foreach (var (suffix, factor) in units)
        {
            if (usage.EndsWith(suffix, StringComparison.Ordinal))
            {
                return double.Parse(usage[..^suffix.Length], CultureInfo.InvariantCulture) * factor;
            }
        }

        return double.NaN;
    }

    private static async Task WriteAsync(string directory, string image, List<(string Shape, double Seconds)> ups, List<(string Role, double MiB)> memory, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# `k3slab up`: time to a Ready cluster, and idle memory per node")
            .AppendLine()
            .AppendLine(inv, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, image `{image}`, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end.")
            .AppendLine("Time: from the first container to every node Ready (and every server a voter), the image already built.")
            .AppendLine("Memory: `docker stats` 15 s after the cluster is up, and for 3+5 again 60 s after (1 MB = 0.954 MiB, so 30 MB is 28.6 MiB).")
            .AppendLine()
            .AppendLine("| cluster | runs | median | max | goal | median vs goal |")
            .AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var group in ups.GroupBy(u => u.Shape))
        {
            var sorted = group.Select(g => g.Seconds).Order().ToList();
            var median = sorted[sorted.Count / 2];
            var verdict = group.Key == "3+5" ? (median <= 15 ? "PASS" : "MISS") : string.Empty;
            md.AppendLine(inv, $"| {group.Key} | {sorted.Count} | {median:0.0} s | {sorted[^1]:0.0} s | {(group.Key == "3+5" ? "≤ 15 s" : string.Empty)} | {verdict} |");
        }

        md.AppendLine()
            .AppendLine("| node | samples | median | max | goal | median vs goal |")
            .AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var group in memory.GroupBy(m => m.Role).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var sorted = group.Select(g => g.MiB).Order().ToList();
            var goalMb = group.Key.StartsWith("server", StringComparison.Ordinal) ? 100 : group.Key.StartsWith("agent", StringComparison.Ordinal) ? 30 : 0;
            var medianMb = sorted[sorted.Count / 2] * 1.048576;
            var verdict = goalMb == 0 ? string.Empty : medianMb <= goalMb ? $"PASS ({medianMb:0.0} MB)" : $"MISS ({medianMb:0.0} MB)";
            md.AppendLine(inv, $"| {group.Key} | {sorted.Count} | {sorted[sorted.Count / 2]:0.0} MiB | {sorted[^1]:0.0} MiB | {(goalMb == 0 ? string.Empty : $"≤ {goalMb} MB")} | {verdict} |");
        }

        Plots.TrialPlot.Write(
            directory,
            "lab",
            "k3slab up: time to a Ready cluster",
            "seconds",
            [.. ups.GroupBy(u => u.Shape).Select(g => ($"{g.Key} (servers+agents)", Plots.TrialPlot.Numbered(g.Select(u => u.Seconds))))],
            [("goal for 3+5: 15 s", 15), ("k3d HA create, 63-84 s (issue 11's anchor; its low end)", 63)]);
        md.AppendLine().AppendLine("![time to Ready per run](lab.svg)");
        var json = new JsonObject
        {
            ["up"] = new JsonArray([.. ups.Select(u => (JsonNode)new JsonObject { ["cluster"] = u.Shape, ["seconds"] = u.Seconds })]),
            ["memory"] = new JsonArray([.. memory.Select(m => (JsonNode)new JsonObject { ["node"] = m.Role, ["mib"] = m.MiB })]),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "lab.md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, "lab.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct);
    }
}
