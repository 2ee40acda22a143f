using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// The Node object as this kubelet registers and reports it. Labels: <c>kubernetes.io/hostname</c>, os and arch
/// (and their <c>beta.</c> forms), <c>node.kubernetes.io/instance-type=k3s</c> as k3s's cloud provider sets, the
/// <c>control-plane</c> and <c>master</c> role labels on servers, then <c>--node-label</c>. Capacity is what the
/// machine (or its cgroup) has; allocatable subtracts the kubelet's default hard eviction reserve (100Mi of memory,
/// 10% of the disk), as the kubelet does with no reservations configured. Pure.
/// </summary>
internal static class NodeDocument
{
    public const int MaxPods = 110;

    public static JsonObject Labels(KubeletSettings settings)
    {
        var labels = new JsonObject
        {
            ["kubernetes.io/hostname"] = settings.NodeName,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = NodeProbe.Architecture(),
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = NodeProbe.Architecture(),
            ["node.kubernetes.io/instance-type"] = "k3s",
        };
        if (settings.ControlPlane)
        {
            labels["node-role.kubernetes.io/control-plane"] = "true";
            labels["node-role.kubernetes.io/master"] = "true";
        }

        foreach (var (key, value) in settings.Labels)
        {
            labels[key] = value;
        }

        return labels;
    }

    public static JsonObject Annotations(KubeletSettings settings)
    {
        var annotations = new JsonObject
        {
            ["k3s.io/hostname"] = settings.NodeName,
            ["k3s.io/internal-ip"] = settings.NodeIp.ToString(),
            ["node.alpha.kubernetes.io/ttl"] = "0",
            ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true",
        };
        foreach (var (key, value) in settings.Annotations)
        {
            annotations[key] = value;
        }

        return annotations;
    }

    public static JsonArray Taints(IEnumerable<NodeTaint> taints)
    {
        var array = new JsonArray();
        foreach (var taint in taints)
        {
            var item = new JsonObject { ["key"] = taint.Key, ["effect"] = taint.Effect };
            if (taint.Value.Length > 0)
            {
                item["value"] = taint.Value;
            }

            array.Add((JsonNode)item);
        }

        return array;
    }

    /// <summary>The Node to create when none exists.</summary>
    public static JsonObject New(KubeletSettings settings, JsonObject status)
    {
        var spec = new JsonObject();
        if (settings.Taints.Count > 0)
        {
            spec["taints"] = Taints(settings.Taints);
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = settings.NodeName, ["labels"] = Labels(settings), ["annotations"] = Annotations(settings) },
            ["spec"] = spec,
            ["status"] = status,
        };
    }

    /// <summary>The status this kubelet reports for <paramref name="facts"/>, keeping condition transition times from <paramref name="previousConditions"/>.</summary>
    public static JsonObject Status(KubeletSettings settings, NodeFacts facts, JsonArray? previousConditions, DateTimeOffset now)
    {
        var addresses = new JsonArray { (JsonNode)Address("InternalIP", settings.NodeIp.ToString()) };
        if (settings.ExternalIp is { } external)
        {
            addresses.Add((JsonNode)Address("ExternalIP", external.ToString()));
        }

        addresses.Add((JsonNode)Address("Hostname", settings.NodeName));
        return new JsonObject
        {
            ["capacity"] = Resources(facts.Cpus, facts.MemoryBytes, facts.DiskBytes),
            ["allocatable"] = Resources(facts.Cpus, Math.Max(0, facts.MemoryBytes - NodeConditions.MemoryThresholdBytes), (long)(facts.DiskBytes * (1 - NodeConditions.DiskFreeThreshold))),
            ["conditions"] = NodeConditions.Build(facts, previousConditions, now),
            ["addresses"] = addresses,
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = settings.ServerPort } },
            ["nodeInfo"] = new JsonObject
            {
                ["machineID"] = facts.MachineId,
                ["systemUUID"] = facts.SystemUuid,
                ["bootID"] = facts.BootId,
                ["kernelVersion"] = facts.KernelVersion,
                ["osImage"] = facts.OsImage,
                ["containerRuntimeVersion"] = $"{settings.ContainerRuntime}://{Cli.RuntimeVersion.Version}",
                ["kubeletVersion"] = Cli.RuntimeVersion.Version,
                ["kubeProxyVersion"] = Cli.RuntimeVersion.Version,
                ["operatingSystem"] = "linux",
                ["architecture"] = facts.Architecture,
            },
        };
    }

    /// <summary>
    /// What identifies a status apart from heartbeat times and small fluctuations: capacity, addresses, nodeInfo and
    /// each condition's status. The kubelet posts at once when this changes, else every report interval.
    /// </summary>
    public static string Fingerprint(JsonObject status)
    {
        var copy = (JsonObject)status.DeepClone();
        if (copy["conditions"] is JsonArray conditions)
        {
            copy["conditions"] = new JsonArray([.. conditions.OfType<JsonObject>().Select(c => (JsonNode)new JsonObject { ["type"] = c["type"]?.DeepClone(), ["status"] = c["status"]?.DeepClone() })]);
        }

        return copy.ToJsonString();
    }

    private static JsonObject Address(string type, string address) => new() { ["type"] = type, ["address"] = address };

    private static JsonObject Resources(int cpus, long memory, long disk) => new()
    {
        ["cpu"] = cpus.ToString(CultureInfo.InvariantCulture),
        ["memory"] = string.Create(CultureInfo.InvariantCulture, $"{memory / 1024}Ki"),
        ["ephemeral-storage"] = string.Create(CultureInfo.InvariantCulture, $"{disk / 1024}Ki"),
        ["pods"] = MaxPods.ToString(CultureInfo.InvariantCulture),
    };
}
