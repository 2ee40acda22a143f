using System.Collections.Frozen;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The latest usage per node and per pod, as the scraper last computed them; readers get an immutable snapshot,
/// indexed both ways. A node whose scrape failed, or that is gone, has nothing here until it answers twice again.
/// Thread-safe.
/// </summary>
internal sealed class MetricsStore
{
    private Snapshot _snapshot = new(FrozenDictionary<string, NodePoints>.Empty, FrozenDictionary<(string, string), PodPoint>.Empty);

    public IReadOnlyDictionary<string, NodePoints> ByNode => Volatile.Read(ref _snapshot).Nodes;

    /// <summary>Replaces everything with one cycle's results, the nodes that failed left out.</summary>
    public void Publish(IEnumerable<NodePoints> cycle)
    {
        var nodes = cycle.ToFrozenDictionary(p => p.Node, StringComparer.Ordinal);
        var pods = new Dictionary<(string, string), PodPoint>();
        foreach (var pod in nodes.Values.SelectMany(n => n.Pods))
        {
            pods[(pod.Namespace, pod.Name)] = pod;
        }

        Volatile.Write(ref _snapshot, new Snapshot(nodes, pods.ToFrozenDictionary()));
    }

    /// <summary>The pod's usage wherever it runs; null when no node reported it.</summary>
    public PodPoint? Pod(string ns, string name) => Volatile.Read(ref _snapshot).Pods.GetValueOrDefault((ns, name));

    private sealed record Snapshot(FrozenDictionary<string, NodePoints> Nodes, FrozenDictionary<(string, string), PodPoint> Pods);
}
