using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// Writes the failover trials as <c>&lt;stem&gt;.md</c> (distribution and every trial), <c>&lt;stem&gt;.json</c> and a
/// plot: <c>agentlb</c> for local processes, <c>agentlb-lab</c> for lab containers.
/// </summary>
internal static class AgentLbReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task WriteAsync(string directory, string stem, string k3s, string setup, IReadOnlyList<AgentLbTrial> trials, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder()
            .AppendLine("# Agent load balancer failover: kill the agent's active server")
            .AppendLine()
            .AppendLine(Inv, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, `{k3s}`, {Environment.ProcessorCount} cores, load average {LoadAverage()}.")
            .AppendLine(setup)
            .AppendLine("Each trial kills (SIGKILL) the server the agent's balancer has ACTIVE. *API back*: from the kill to the first")
            .AppendLine("`GET /api/v1/nodes/<agent>` through the agent's balancer, each on a new connection (as each kubectl run opens one)")
            .AppendLine("with a 1 s timeout, 20 ms apart, that answers 200. *Lease renewed*: from the kill to the first renewal of the")
            .AppendLine("agent's node Lease after it (the kubelet renews every 10 s; a node goes NotReady after 40 s without one).")
            .AppendLine("Both run from just before the kill call; *kill call* is how long that call took to return, included in both.")
            .AppendLine()
            .AppendLine("| killed server | trials | API back: min | p50 | p90 | max | ≤ 1 s | lease renewed: max |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (label, group) in new[] { ("any", trials), ("datastore leader", [.. trials.Where(t => t.KilledWasLeader)]), ("follower", trials.Where(t => !t.KilledWasLeader).ToList()) })
        {
            if (group.Count == 0)
            {
                continue;
            }

            var sorted = group.Select(t => t.RecoverySeconds).Order().ToList();
            md.AppendLine(Inv, $"| {label} | {sorted.Count} | {Ms(sorted[0])} | {Ms(Percentile(sorted, 0.5))} | {Ms(Percentile(sorted, 0.9))} | {Ms(sorted[^1])} | {sorted.Count(s => s <= 1)} / {sorted.Count} | {group.Max(t => t.LeaseRenewedSeconds):0.0} s |");
        }

        md.AppendLine()
            .AppendLine("| trial | killed | leader | API back | failed requests | lease renewed | kill call |")
            .AppendLine("|---:|---|---|---:|---:|---:|---:|");
        foreach (var t in trials)
        {
            md.AppendLine(Inv, $"| {t.Trial} | {t.Killed} | {(t.KilledWasLeader ? "yes" : "no")} | {Ms(t.RecoverySeconds)} | {t.FailedProbes} | {t.LeaseRenewedSeconds:0.0} s | {Ms(t.KillCallSeconds)} |");
        }

        var json = new JsonArray();
        foreach (var t in trials)
        {
            json.Add((JsonNode)new JsonObject
            {
                ["trial"] = t.Trial,
                ["killed"] = t.Killed,
                ["killedWasLeader"] = t.KilledWasLeader,
                ["recoverySeconds"] = t.RecoverySeconds,
                ["failedProbes"] = t.FailedProbes,
                ["leaseRenewedSeconds"] = t.LeaseRenewedSeconds,
                ["killCallSeconds"] = t.KillCallSeconds,
            });
        }

        // A trial with no answer in 30 s has no place on the scale; the table above counts it.
        Plots.TrialPlot.Write(
            directory,
            stem,
            "API back through the agent's balancer after SIGKILL of its active server",
            "seconds from the kill to the first 200",
            [
                ("killed the datastore leader", [.. trials.Where(t => t.KilledWasLeader && !double.IsInfinity(t.RecoverySeconds)).Select(t => (t.Trial, t.RecoverySeconds))]),
                ("killed a follower", [.. trials.Where(t => !t.KilledWasLeader && !double.IsInfinity(t.RecoverySeconds)).Select(t => (t.Trial, t.RecoverySeconds))]),
            ],
            [("goal 1 s", 1)]);
        md.AppendLine().AppendLine(Inv, $"![API back per trial]({stem}.svg)");
        await File.WriteAllTextAsync(Path.Combine(directory, stem + ".md"), md.ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(directory, stem + ".json"), new JsonObject { ["trials"] = json }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct);
    }

    private static string Ms(double seconds) => double.IsInfinity(seconds) ? "none in 30 s" : string.Create(Inv, $"{seconds * 1000:0} ms");

    private static double Percentile(List<double> sorted, double fraction) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(fraction * sorted.Count) - 1)];

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
