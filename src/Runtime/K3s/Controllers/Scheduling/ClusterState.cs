namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// The scheduler's view of the cluster (upstream's scheduler cache): the nodes, and every pod bound to a node or
/// assumed onto one by a binding not yet seen in the cache, with per-node usage kept incrementally. An assumed pod
/// counts against its node at once, so the next decision does not hand its room to another pod; it is confirmed
/// when the cache shows the binding, or forgotten when the binding fails. Terminated pods hold nothing. Pure and
/// deterministic (nodes are iterated by name); not thread-safe: the host serializes access.
/// </summary>
internal sealed class ClusterState
{
    private readonly SortedDictionary<string, SchedulingNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeUsage> _usage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SchedulingPod Pod, string Node, bool Assumed)> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SchedulingPod> _withAntiAffinity = new(StringComparer.Ordinal);
    private SchedulingNode[]? _ordered;

    /// <summary>The nodes, ordered by name.</summary>
    public IReadOnlyList<SchedulingNode> Nodes => _ordered ??= [.. _nodes.Values];

    /// <summary>Bound or assumed pods that carry required pod anti-affinity terms (checked against every incoming pod).</summary>
    public IEnumerable<SchedulingPod> PodsWithAntiAffinity => _withAntiAffinity.Values;

    public int PodCount => _pods.Count;

    /// <summary>Every bound or assumed pod with its node.</summary>
    public IEnumerable<(SchedulingPod Pod, string Node)> Pods => _pods.Values.Select(e => (e.Pod, e.Node));

    public SchedulingNode? Node(string name) => _nodes.GetValueOrDefault(name);

    public NodeUsage Usage(string node) => _usage.TryGetValue(node, out var usage) ? usage : _usage[node] = new NodeUsage();

    /// <summary>The node a pod is bound or assumed to, or null.</summary>
    public string? NodeOf(string podKey) => _pods.TryGetValue(podKey, out var entry) ? entry.Node : null;

    public bool IsAssumed(string podKey) => _pods.TryGetValue(podKey, out var entry) && entry.Assumed;

    /// <summary>Adds or replaces a node; returns whether pods that did not fit before may fit now.</summary>
    public bool SetNode(SchedulingNode node)
    {
        var before = _nodes.GetValueOrDefault(node.Name);
        _nodes[node.Name] = node;
        _ordered = null;
        return before is null || node.MayAdmitMoreThan(before);
    }

    public void RemoveNode(string name)
    {
        if (_nodes.Remove(name))
        {
            _ordered = null;
        }
    }

    /// <summary>
    /// Records a pod as the cache shows it. A bound, running pod takes its node's room (confirming an assumption); a
    /// terminated one frees it. A pod without a node leaves an assumption in place (the cache has not caught up
    /// with the binding yet). Returns whether room was freed, which may let waiting pods fit.
    /// </summary>
    public bool ObservePod(SchedulingPod pod)
    {
        if (pod.NodeName.Length == 0)
        {
            return false;
        }

        if (pod.Terminal)
        {
            return RemovePod(pod.Key);
        }

        var freed = false;
        if (_pods.TryGetValue(pod.Key, out var existing))
        {
            freed = existing.Node != pod.NodeName;
            Detach(pod.Key, existing);
        }

        Attach(pod, pod.NodeName, assumed: false);
        return freed;
    }

    /// <summary>Removes a pod (deleted); returns whether it held room on a node.</summary>
    public bool RemovePod(string podKey)
    {
        if (!_pods.TryGetValue(podKey, out var existing))
        {
            return false;
        }

        Detach(podKey, existing);
        return true;
    }

    /// <summary>Counts <paramref name="pod"/> on <paramref name="node"/> before its binding is seen.</summary>
    public void Assume(SchedulingPod pod, string node)
    {
        if (_pods.TryGetValue(pod.Key, out var existing))
        {
            Detach(pod.Key, existing);
        }

        Attach(pod, node, assumed: true);
    }

    /// <summary>Drops an assumption whose binding failed; a pod the cache already shows bound stays.</summary>
    public void Forget(string podKey)
    {
        if (_pods.TryGetValue(podKey, out var existing) && existing.Assumed)
        {
            Detach(podKey, existing);
        }
    }

    private void Attach(SchedulingPod pod, string node, bool assumed)
    {
        _pods[pod.Key] = (pod, node, assumed);
        Usage(node).Add(pod);
        if (pod.AntiAffinity.Count > 0)
        {
            _withAntiAffinity[pod.Key] = pod;
        }
    }

    private void Detach(string podKey, (SchedulingPod Pod, string Node, bool Assumed) entry)
    {
        _pods.Remove(podKey);
        _withAntiAffinity.Remove(podKey);
        if (_usage.TryGetValue(entry.Node, out var usage))
        {
            usage.Remove(podKey);
            if (usage.PodCount == 0 && !_nodes.ContainsKey(entry.Node))
            {
                _usage.Remove(entry.Node);
            }
        }
    }
}
