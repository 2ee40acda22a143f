using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Reads a PodMetricsList the way upstream's resource metrics client does: a pod's usage of a resource is the sum
/// over its containers (a pod with no containers, or one lacking the resource, has no sample), or one named
/// container's usage; quantities become milli-units rounded up (apimachinery's <c>MilliValue</c>). Pure.
/// </summary>
internal static class ResourceMetrics
{
    /// <summary>The samples keyed by pod name, or the error upstream reports for this response.</summary>
    public static (Dictionary<string, PodMetric>? Metrics, string? Error) Read(ResourceMetricsResponse response, string resource, string container)
    {
        if (response.Error is { } failure)
        {
            return (null, $"unable to fetch metrics from resource metrics API: {failure}");
        }

        var items = (response.List.Arr("items") ?? []).OfType<JsonObject>().ToList();
        if (items.Count == 0)
        {
            return (null, "no metrics returned from resource metrics API");
        }

        var metrics = new Dictionary<string, PodMetric>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var name = item.Obj("metadata").Str("name") ?? string.Empty;
            var containers = (item.Arr("containers") ?? []).OfType<JsonObject>().ToList();
            if (container.Length > 0)
            {
                var match = containers.FirstOrDefault(c => c.Str("name") == container);
                if (match is null)
                {
                    return (null, $"failed to get container metrics: container {container} not present in metrics for pod {item.Obj("metadata").Str("namespace")}/{name}");
                }

                if (Usage(match, resource) is { } value)
                {
                    metrics[name] = Sample(item, value);
                }

                continue;
            }

            long sum = 0;
            var missing = containers.Count == 0;
            foreach (var c in containers)
            {
                if (Usage(c, resource) is not { } value)
                {
                    missing = true;
                    break;
                }

                sum += value;
            }

            if (!missing)
            {
                metrics[name] = Sample(item, sum);
            }
        }

        return (metrics, null);
    }

    /// <summary>A quantity's milli-value (<see cref="Quantity.MilliValue"/>) from JSON; null when absent or unreadable.</summary>
    public static long? MilliValue(JsonNode? node) => Quantity.TryRead(node, out var quantity) ? quantity.MilliValue : null;

    /// <summary>Go's canonical form of a milli-value (<c>resource.NewMilliQuantity(v, DecimalSI).String()</c>): <c>250m</c>, <c>2</c>, <c>1263616k</c>.</summary>
    public static string FormatMilli(long milli) => new Quantity(milli / 1000m, Quantity.Format.DecimalSI, string.Empty).ToString();

    private static long? Usage(JsonObject container, string resource) => MilliValue(container.Obj("usage")?[resource]);

    private static PodMetric Sample(JsonObject item, long value)
    {
        var timestamp = PodState.Time(item.Str("timestamp")) ?? DateTimeOffset.MinValue;
        var window = Cli.GoDuration.TryParse(item.Str("window") ?? string.Empty, out var parsed) ? parsed : TimeSpan.FromMinutes(1);
        return new PodMetric(value, timestamp, window);
    }
}
