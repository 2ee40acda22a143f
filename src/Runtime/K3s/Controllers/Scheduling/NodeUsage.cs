namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// What the pods bound or assumed on one node take (upstream's NodeInfo aggregates): their requests, their count,
/// their host ports and how many belong to each controller. Updated incrementally as pods come and go, so checking
/// a node costs the same however many pods it runs. Not thread-safe; owned by <see cref="ClusterState"/>.
/// </summary>
internal sealed class NodeUsage
{
    private readonly Dictionary<(string Protocol, int Port), Dictionary<string, int>> _ports = [];
    private readonly Dictionary<string, int> _byController = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SchedulingPod> _pods = new(StringComparer.Ordinal);

    public ResourceAmount Requested { get; private set; }

    public ResourceAmount NonZeroRequested { get; private set; }

    public int PodCount => _pods.Count;

    /// <summary>The pods on the node, keyed <c>namespace/name</c>.</summary>
    public IReadOnlyDictionary<string, SchedulingPod> Pods => _pods;

    public int ControllerCount(string controllerUid) => controllerUid.Length == 0 ? 0 : _byController.GetValueOrDefault(controllerUid);

    /// <summary>Whether any of <paramref name="ports"/> conflicts with a port already taken on the node.</summary>
    public bool PortsConflict(IReadOnlyList<HostPort> ports)
    {
        foreach (var port in ports)
        {
            if (!_ports.TryGetValue((port.Protocol, port.Port), out var ips))
            {
                continue;
            }

            if (port.Ip == HostPort.Wildcard || ips.ContainsKey(HostPort.Wildcard) || ips.ContainsKey(port.Ip))
            {
                return true;
            }
        }

        return false;
    }

    public void Add(SchedulingPod pod)
    {
        if (!_pods.TryAdd(pod.Key, pod))
        {
            return;
        }

        Requested += pod.Requests;
        NonZeroRequested += pod.NonZeroRequests;
        foreach (var port in pod.Ports)
        {
            if (!_ports.TryGetValue((port.Protocol, port.Port), out var ips))
            {
                _ports[(port.Protocol, port.Port)] = ips = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            ips[port.Ip] = ips.GetValueOrDefault(port.Ip) + 1;
        }

        if (pod.ControllerUid.Length > 0)
        {
            _byController[pod.ControllerUid] = _byController.GetValueOrDefault(pod.ControllerUid) + 1;
        }
    }

    public void Remove(string key)
    {
        if (!_pods.Remove(key, out var pod))
        {
            return;
        }

        Requested -= pod.Requests;
        NonZeroRequested -= pod.NonZeroRequests;
        foreach (var port in pod.Ports)
        {
            var ips = _ports[(port.Protocol, port.Port)];
            if (--ips[port.Ip] == 0)
            {
                ips.Remove(port.Ip);
                if (ips.Count == 0)
                {
                    _ports.Remove((port.Protocol, port.Port));
                }
            }
        }

        if (pod.ControllerUid.Length > 0 && --_byController[pod.ControllerUid] == 0)
        {
            _byController.Remove(pod.ControllerUid);
        }
    }

    /// <summary>A copy without the pods for which <paramref name="evicted"/> holds (what preemption would leave).</summary>
    public NodeUsage Without(Func<SchedulingPod, bool> evicted)
    {
        var copy = new NodeUsage();
        foreach (var pod in _pods.Values)
        {
            if (!evicted(pod))
            {
                copy.Add(pod);
            }
        }

        return copy;
    }
}
