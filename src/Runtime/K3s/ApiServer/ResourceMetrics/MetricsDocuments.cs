using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The <c>metrics.k8s.io/v1beta1</c> objects as metrics-server writes them: <c>NodeMetrics</c> and
/// <c>PodMetrics</c> with the node's or pod's labels, a creation time of the moment of the request, the sample's
/// timestamp and window (a Go duration), and usage as Go's canonical quantities (<see cref="Quantity"/>). Pure.
/// </summary>
internal static class MetricsDocuments
{
    public const string Group = "metrics.k8s.io";
    public const string Version = "v1beta1";
    public const string ApiVersion = Group + "/" + Version;

    public static JsonObject Node(string name, JsonObject? labels, UsagePoint usage, DateTimeOffset now) => new()
    {
        ["kind"] = "NodeMetrics",
        ["apiVersion"] = ApiVersion,
        ["metadata"] = Metadata(name, null, labels, now),
        ["timestamp"] = Kubelet.Timestamps.Format(usage.Timestamp),
        ["window"] = Cli.GoDuration.Format(usage.Window),
        ["usage"] = Usage(usage),
    };

    public static JsonObject Pod(PodPoint pod, JsonObject? labels, DateTimeOffset now)
    {
        var latest = pod.Latest;
        return new JsonObject
        {
            ["kind"] = "PodMetrics",
            ["apiVersion"] = ApiVersion,
            ["metadata"] = Metadata(pod.Name, pod.Namespace, labels, now),
            ["timestamp"] = Kubelet.Timestamps.Format(latest.Timestamp),
            ["window"] = Cli.GoDuration.Format(latest.Window),
            ["containers"] = new JsonArray([.. pod.Containers.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["usage"] = Usage(c.Usage) })]),
        };
    }

    /// <summary>A list, its items without their own kind and apiVersion, as Go's list encoding writes them.</summary>
    public static JsonObject List(string kind, IEnumerable<JsonObject> items) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = ApiVersion,
        ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray([.. items.Select(Untyped)]),
    };

    private static JsonNode Untyped(JsonObject item)
    {
        item.Remove("kind");
        item.Remove("apiVersion");
        return item;
    }

    /// <summary>Nanocores as Go writes <c>NewScaledQuantity(n, Nano)</c>: <c>5m</c>, <c>250u</c>, <c>1234n</c>, <c>0</c>.</summary>
    public static string Cpu(long nanoCores) => new Quantity(nanoCores / 1_000_000_000m, Quantity.Format.DecimalSI, string.Empty).ToString();

    /// <summary>Bytes as Go writes <c>NewQuantity(b, BinarySI)</c>: <c>12Ki</c>, <c>3Mi</c>, <c>1500</c>, <c>1k</c> under 1024.</summary>
    public static string Memory(long bytes) => new Quantity(bytes, Quantity.Format.BinarySI, string.Empty).ToString();

    private static JsonObject Usage(UsagePoint usage) => new()
    {
        ["cpu"] = Cpu(usage.NanoCores),
        ["memory"] = Memory(usage.MemoryBytes),
    };

    private static JsonObject Metadata(string name, string? ns, JsonObject? labels, DateTimeOffset now)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        metadata["creationTimestamp"] = Kubelet.Timestamps.Format(now);
        if (labels is { Count: > 0 })
        {
            metadata["labels"] = labels.DeepClone();
        }

        return metadata;
    }
}
