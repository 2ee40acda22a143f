namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// A usage rate over a window, as metrics-server reports it: CPU in nanocores (CPU seconds per second, times 10^9)
/// and the working set in bytes at <paramref name="Timestamp"/>, the later of the two samples.
/// </summary>
internal sealed record UsagePoint(long NanoCores, long MemoryBytes, DateTimeOffset Timestamp, TimeSpan Window);

/// <summary>One container's usage in a pod's metrics.</summary>
internal sealed record ContainerPoint(string Name, UsagePoint Usage);

/// <summary>The usage of the containers of one pod that had a rate this cycle.</summary>
internal sealed record PodPoint(string Namespace, string Name, IReadOnlyList<ContainerPoint> Containers)
{
    /// <summary>The latest of its containers' samples, and that container's window, as metrics-server stamps a pod.</summary>
    public UsagePoint Latest => Containers.Select(c => c.Usage).MaxBy(u => u.Timestamp)!;
}

/// <summary>What one node's last two scrapes gave: its own usage (null until it has two) and its pods'.</summary>
internal sealed record NodePoints(string Node, UsagePoint? Usage, IReadOnlyList<PodPoint> Pods);
