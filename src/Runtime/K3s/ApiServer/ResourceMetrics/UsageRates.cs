namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// Turns one node's successive kubelet scrapes into usage rates, as metrics-server's storage does: CPU is the
/// counter's rise over the time between two samples; memory is the later working set. A container needs two samples
/// of the same run, except one that started after the previous scrape, whose rate runs from its start (so a pod shows
/// up one cycle after it starts, not two). A counter that went back (a restart, or a process reaped outside the
/// container) gives no rate until the next pair. Pure; one instance per node, not thread-safe.
/// </summary>
internal sealed class UsageRates(string node)
{
    private NodeSample? _node;
    private Dictionary<(string, string, string), ContainerSample> _containers = [];
    private DateTimeOffset? _lastScrape;

    /// <summary>Takes the newest scrape and returns what it and the one before give.</summary>
    public NodePoints Next(KubeletScrape scrape)
    {
        UsagePoint? nodeUsage = null;
        if (scrape.Node is { } now)
        {
            nodeUsage = _node is { } before ? Rate(before.CpuSeconds, before.At, now.CpuSeconds, now.At, now.WorkingSetBytes) : null;
            _node = now;
        }

        var next = new Dictionary<(string, string, string), ContainerSample>();
        var points = new List<(string Namespace, string Pod, ContainerPoint Point)>();
        foreach (var sample in scrape.Containers)
        {
            var key = (sample.Namespace, sample.Pod, sample.Container);
            next[key] = sample;
            UsagePoint? usage = null;
            if (_containers.TryGetValue(key, out var before) && before.StartedAt == sample.StartedAt)
            {
                usage = Rate(before.CpuSeconds, before.At, sample.CpuSeconds, sample.At, sample.WorkingSetBytes);
            }
            else if (sample.StartedAt is { } started && _lastScrape is { } last && started > last)
            {
                usage = Rate(0, started, sample.CpuSeconds, sample.At, sample.WorkingSetBytes);
            }

            if (usage is not null)
            {
                points.Add((sample.Namespace, sample.Pod, new ContainerPoint(sample.Container, usage)));
            }
        }

        _containers = next;
        _lastScrape = scrape.Node?.At ?? scrape.Containers.Select(c => (DateTimeOffset?)c.At).Max() ?? _lastScrape;
        var pods = points.GroupBy(p => (p.Namespace, p.Pod))
            .Select(g => new PodPoint(g.Key.Namespace, g.Key.Pod, [.. g.Select(p => p.Point).OrderBy(c => c.Name, StringComparer.Ordinal)]))
            .ToList();
        return new NodePoints(node, nodeUsage, pods);
    }

    private static UsagePoint? Rate(double cpuBefore, DateTimeOffset before, double cpuNow, DateTimeOffset now, long memory)
    {
        var window = now - before;
        if (window <= TimeSpan.Zero || cpuNow < cpuBefore)
        {
            return null;
        }

        return new UsagePoint((long)Math.Round((cpuNow - cpuBefore) / window.TotalSeconds * 1e9), memory, now, window);
    }
}
