using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The <c>metrics.k8s.io/v1beta1</c> objects as metrics-server writes them: <c>NodeMetrics</c> and
/// <c>PodMetrics</c> with the node's or pod's labels, a creation time of the moment of the request, the sample's
/// timestamp and window (a Go duration), and usage as canonical quantities (CPU in n/u/m, memory with the largest
/// binary suffix that divides it). Pure.
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
        ["timestamp"] = Time(usage.Timestamp),
        ["window"] = GoDuration(usage.Window),
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
            ["timestamp"] = Time(latest.Timestamp),
            ["window"] = GoDuration(latest.Window),
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

    /// <summary>Nanocores as a canonical decimal quantity: <c>5m</c>, <c>250u</c>, <c>1234n</c>, <c>0</c>.</summary>
    public static string Cpu(long nanoCores) => nanoCores switch
    {
        0 => "0",
        _ when nanoCores % 1_000_000_000 == 0 => (nanoCores / 1_000_000_000).ToString(CultureInfo.InvariantCulture),
        _ when nanoCores % 1_000_000 == 0 => (nanoCores / 1_000_000).ToString(CultureInfo.InvariantCulture) + "m",
        _ when nanoCores % 1_000 == 0 => (nanoCores / 1_000).ToString(CultureInfo.InvariantCulture) + "u",
        _ => nanoCores.ToString(CultureInfo.InvariantCulture) + "n",
    };

    /// <summary>Bytes as a canonical binary quantity: <c>12Ki</c>, <c>3Mi</c>, or plain bytes when no suffix divides them.</summary>
    public static string Memory(long bytes)
    {
        if (bytes == 0)
        {
            return "0";
        }

        string[] suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi"];
        var value = bytes;
        var used = -1;
        while (used + 1 < suffixes.Length && value % 1024 == 0)
        {
            value /= 1024;
            used++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + (used >= 0 ? suffixes[used] : string.Empty);
    }

    /// <summary>A duration as Go's <c>time.Duration.String</c> writes it: <c>15.003s</c>, <c>1m0.5s</c>, <c>750ms</c>.</summary>
    public static string GoDuration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return "0s";
        }

        if (span < TimeSpan.FromSeconds(1))
        {
            return Trim(span.TotalMilliseconds) + "ms";
        }

        var hours = (long)span.TotalHours;
        var minutes = span.Minutes;
        var seconds = span.TotalSeconds - hours * 3600 - minutes * 60;
        return (hours > 0 ? hours.ToString(CultureInfo.InvariantCulture) + "h" : string.Empty)
            + (hours > 0 || minutes > 0 ? minutes.ToString(CultureInfo.InvariantCulture) + "m" : string.Empty)
            + Trim(seconds) + "s";
    }

    private static string Trim(double value) => Math.Round(value, 9).ToString("0.#########", CultureInfo.InvariantCulture);

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

        metadata["creationTimestamp"] = Time(now);
        if (labels is { Count: > 0 })
        {
            metadata["labels"] = labels.DeepClone();
        }

        return metadata;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
