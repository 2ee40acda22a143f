namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// The named nodes' Ready condition never read anything but True once it had, as polled through the API during the
/// run: for agents whose server dies, failing over must not cost them their Ready status.
/// </summary>
public static class NodesStayedReadyCheck
{
    public static CheckResult Run(IReadOnlyList<(double At, string Node, string Ready)> readiness, IReadOnlyList<string> nodes)
    {
        var bad = new List<string>();
        var polls = 0;
        foreach (var node in nodes)
        {
            var seen = readiness.Where(r => r.Node == node).ToList();
            polls += seen.Count;
            if (seen.Count == 0)
            {
                bad.Add($"{node}: never observed");
                continue;
            }

            bad.AddRange(seen.SkipWhile(r => r.Ready != "True").Where(r => r.Ready != "True").Take(5).Select(r => $"{node}: Ready={r.Ready} at {r.At:0.0} s"));
        }

        var summary = $"{string.Join(", ", nodes)}: {polls:N0} readings";
        return bad.Count == 0 ? CheckResult.Pass("nodes-stayed-ready", summary + ", all Ready=True") : CheckResult.Fail("nodes-stayed-ready", summary + $", {bad.Count} not Ready", bad);
    }
}
