using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// The named nodes' containers kept running through the run: the same start time and restart count at the end as
/// at the start. A k3s server that exits on a datastore outage is restarted by the container's restart policy, so
/// this is how "the servers reconnect without a restart" is checked. Nodes the scenario stops itself do not belong
/// in the list.
/// </summary>
public static class NoRestartsCheck
{
    public static CheckResult Run(IReadOnlyDictionary<string, NodeRuntime> before, IReadOnlyDictionary<string, NodeRuntime?> after, IReadOnlyList<string> nodes)
    {
        var bad = new List<string>();
        foreach (var node in nodes)
        {
            var start = before.GetValueOrDefault(node);
            var end = after.GetValueOrDefault(node);
            if (start is null || end is null)
            {
                bad.Add($"{node}: {(start is null ? "not inspected at the start" : "not inspected at the end")}");
            }
            else if (start.StartedAt != end.StartedAt || start.RestartCount != end.RestartCount)
            {
                bad.Add($"{node}: started at {start.StartedAt:HH:mm:ss.fff} (restart count {start.RestartCount}), then at {end.StartedAt:HH:mm:ss.fff} (restart count {end.RestartCount})");
            }
        }

        return bad.Count == 0
            ? CheckResult.Pass("no-restarts", $"{string.Join(", ", nodes)}: the same container start and restart count at the end as at the start")
            : CheckResult.Fail("no-restarts", $"{bad.Count} of {nodes.Count} node(s) restarted or could not be inspected", bad);
    }
}
