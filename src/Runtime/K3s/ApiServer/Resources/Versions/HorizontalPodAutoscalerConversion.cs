using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Versions;

/// <summary>
/// HorizontalPodAutoscalers between autoscaling/v2, the stored version, and autoscaling/v1, served by conversion,
/// as kube-apiserver 1.33 converts them through its internal version. v1 has room for one cpu utilization target
/// only; everything else travels in annotations, written by <see cref="ToV1"/> only when there is something to
/// write and read back (then removed) by <see cref="ToV2"/>: the other metrics and the current metrics in v1's own
/// v2beta1-like shapes, the conditions, and the behavior as Go marshals kube's internal type (field names
/// capitalized). Metadata otherwise passes unchanged. Every method returns a new object and leaves its input alone.
/// </summary>
/// <remarks>
/// The conversion is kube's, so it normalizes as kube's does: the cpu utilization metric comes back last (and only
/// the first of several survives), an Object metric's target keeps a <c>value</c> (<c>"0"</c> when it had none),
/// and a current Resource, Pods or Object metric keeps its average value or value (<c>"0"</c> likewise). A v2 object
/// in that form, which is what kube's defaulting and its autoscaler produce, survives v2→v1→v2 unchanged, and a v1
/// object written by <see cref="ToV1"/> survives v1→v2→v1. Quantities are carried as written, not canonicalized.
/// </remarks>
internal static partial class HorizontalPodAutoscalerConversion
{
    /// <summary>The v2 metrics other than the cpu utilization one, as a JSON list of v1 metric specs.</summary>
    public const string MetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";

    /// <summary>All of v2's current metrics, as a JSON list of v1 metric statuses.</summary>
    public const string CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";

    /// <summary>The status conditions, as a JSON list.</summary>
    public const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";

    /// <summary>The scaling behavior, as Go marshals kube's internal <c>HorizontalPodAutoscalerBehavior</c>.</summary>
    public const string BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";

    private const int DefaultCpuUtilization = 80;

    private static readonly string[] RoundTripAnnotations = [MetricsAnnotation, CurrentMetricsAnnotation, ConditionsAnnotation, BehaviorAnnotation];

    /// <summary>
    /// kube's <c>Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler</c>: the annotations' metrics
    /// first, then the cpu target; with no metric at all, cpu at 80% utilization. An annotation that does not parse is
    /// ignored (and dropped), as kube ignores it.
    /// </summary>
    public static JsonObject ToV2(JsonObject v1)
    {
        var annotations = v1["metadata"]?["annotations"] as JsonObject;
        var result = new JsonObject { ["apiVersion"] = "autoscaling/v2" };
        foreach (var (key, value) in v1)
        {
            switch (key)
            {
                case "apiVersion" or "spec" or "status":
                    break;
                case "metadata":
                    result[key] = WithoutRoundTripAnnotations(value);
                    break;
                default:
                    result[key] = value?.DeepClone();
                    break;
            }
        }

        result["spec"] = SpecToV2(v1["spec"] as JsonObject, annotations);
        if (StatusToV2(v1["status"] as JsonObject, annotations) is { } status)
        {
            result["status"] = status;
        }

        return result;
    }

    /// <summary>
    /// kube's <c>Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler</c>: the first cpu
    /// utilization metric becomes <c>targetCPUUtilizationPercentage</c>, the last cpu utilization among the current
    /// metrics <c>currentCPUUtilizationPercentage</c>, and the rest goes into the annotations (round-trip annotations
    /// already on the object are replaced, never trusted).
    /// </summary>
    public static JsonObject ToV1(JsonObject v2)
    {
        var spec = v2["spec"] as JsonObject;
        var status = v2["status"] as JsonObject;
        var written = new List<(string Key, JsonNode Value)>();
        var others = Objects(spec?["metrics"]).Where(m => !IsCpuUtilization(m)).Select(MetricSpecToV1).ToArray();
        if (others.Length > 0)
        {
            written.Add((MetricsAnnotation, new JsonArray(others)));
        }

        var current = Objects(status?["currentMetrics"]).Select(MetricStatusToV1).ToArray();
        if (current.Length > 0)
        {
            written.Add((CurrentMetricsAnnotation, new JsonArray(current)));
        }

        if (spec?["behavior"] is JsonObject behavior)
        {
            written.Add((BehaviorAnnotation, BehaviorToInternal(behavior)));
        }

        var conditions = Objects(status?["conditions"]).Select(ConditionToV1).ToArray();
        if (conditions.Length > 0)
        {
            written.Add((ConditionsAnnotation, new JsonArray(conditions)));
        }

        var result = new JsonObject { ["apiVersion"] = "autoscaling/v1" };
        foreach (var (key, value) in v2)
        {
            switch (key)
            {
                case "apiVersion":
                    break;
                case "metadata":
                    result[key] = WithoutRoundTripAnnotations(value);
                    break;
                case "spec":
                    result[key] = spec is null ? value?.DeepClone() : SpecToV1(spec);
                    break;
                case "status":
                    result[key] = status is null ? value?.DeepClone() : StatusToV1(status);
                    break;
                default:
                    result[key] = value?.DeepClone();
                    break;
            }
        }

        if (written.Count > 0)
        {
            var metadata = result["metadata"] as JsonObject ?? (JsonObject)(result["metadata"] = new JsonObject());
            var target = metadata["annotations"] as JsonObject ?? (JsonObject)(metadata["annotations"] = new JsonObject());
            foreach (var (key, value) in written)
            {
                target[key] = value.ToJsonString();
            }
        }

        return result;
    }

    /// <summary>
    /// kube's <c>DropRoundTripHorizontalPodAutoscalerAnnotations</c>, which its v2 conversion applies both ways: a v2
    /// object neither keeps nor shows the v1 round-trip annotations. Returns <paramref name="v2"/> itself when it has
    /// none of them, else a copy without them (without <c>annotations</c> when nothing else is left).
    /// </summary>
    public static JsonObject DropRoundTripAnnotations(JsonObject v2)
    {
        if (v2["metadata"]?["annotations"] is not JsonObject annotations || !RoundTripAnnotations.Any(annotations.ContainsKey))
        {
            return v2;
        }

        var copy = v2.DeepClone().AsObject();
        copy["metadata"] = WithoutRoundTripAnnotations(v2["metadata"]);
        return copy;
    }

    private static JsonNode? WithoutRoundTripAnnotations(JsonNode? metadata)
    {
        var copy = metadata?.DeepClone();
        if (copy?["annotations"] is JsonObject annotations && RoundTripAnnotations.Any(annotations.ContainsKey))
        {
            foreach (var key in RoundTripAnnotations)
            {
                annotations.Remove(key);
            }

            if (annotations.Count == 0)
            {
                copy.AsObject().Remove("annotations");
            }
        }

        return copy;
    }

    private static JsonObject SpecToV2(JsonObject? spec, JsonObject? annotations)
    {
        var result = new JsonObject();
        Copy(spec, result, "scaleTargetRef", "minReplicas", "maxReplicas");
        var metrics = new JsonArray();
        foreach (var metric in Objects(Annotation(annotations, MetricsAnnotation)))
        {
            metrics.Add((JsonNode)MetricSpecToV2(metric));
        }

        if (spec?["targetCPUUtilizationPercentage"] is { } target)
        {
            metrics.Add((JsonNode)CpuUtilization(target.DeepClone()));
        }

        if (metrics.Count == 0)
        {
            metrics.Add((JsonNode)CpuUtilization(DefaultCpuUtilization));
        }

        result["metrics"] = metrics;
        if (Annotation(annotations, BehaviorAnnotation) is JsonObject behavior && BehaviorFromInternal(behavior) is { } converted)
        {
            result["behavior"] = converted;
        }

        return result;
    }

    private static JsonObject SpecToV1(JsonObject spec)
    {
        var result = new JsonObject();
        Copy(spec, result, "scaleTargetRef", "minReplicas", "maxReplicas");
        if (Objects(spec["metrics"]).FirstOrDefault(IsCpuUtilization) is { } cpu)
        {
            result["targetCPUUtilizationPercentage"] = cpu["resource"]!["target"]!["averageUtilization"]!.DeepClone();
        }

        return result;
    }

    private static JsonObject? StatusToV2(JsonObject? status, JsonObject? annotations)
    {
        var current = Annotation(annotations, CurrentMetricsAnnotation) as JsonArray;
        var conditions = Annotation(annotations, ConditionsAnnotation) as JsonArray;
        if (status is null && current is null && conditions is null)
        {
            return null;
        }

        var result = new JsonObject();
        Copy(status, result, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
        if (current is not null)
        {
            result["currentMetrics"] = new JsonArray([.. Objects(current).Select(MetricStatusToV2)]);
        }
        else if (status?["currentCPUUtilizationPercentage"] is { } utilization)
        {
            result["currentMetrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = new JsonObject { ["averageUtilization"] = utilization.DeepClone() } },
            });
        }

        if (conditions is not null)
        {
            result["conditions"] = new JsonArray([.. Objects(conditions).Select(ConditionToV2)]);
        }

        return result;
    }

    private static JsonObject StatusToV1(JsonObject status)
    {
        var result = new JsonObject();
        Copy(status, result, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
        var cpu = Objects(status["currentMetrics"])
            .Where(m => Str(m, "type") == "Resource" && Str(m["resource"], "name") == "cpu" && m["resource"]?["current"]?["averageUtilization"] is not null)
            .LastOrDefault();
        if (cpu is not null)
        {
            result["currentCPUUtilizationPercentage"] = cpu["resource"]!["current"]!["averageUtilization"]!.DeepClone();
        }

        return result;
    }

    /// <summary>The metric v1's <c>targetCPUUtilizationPercentage</c> stands for (kube's test: Resource, cpu, a utilization set).</summary>
    private static bool IsCpuUtilization(JsonObject metric) =>
        Str(metric, "type") == "Resource" && Str(metric["resource"], "name") == "cpu" && metric["resource"]?["target"]?["averageUtilization"] is not null;

    private static JsonObject CpuUtilization(JsonNode utilization) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject
        {
            ["name"] = "cpu",
            ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = utilization },
        },
    };

    /// <summary>An annotation's JSON, or null when it is absent or does not parse (kube then leaves it unused).</summary>
    private static JsonNode? Annotation(JsonObject? annotations, string key)
    {
        if (annotations?[key] is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return null;
        }

        try
        {
            // Go decodes "null" into an empty list.
            return JsonNode.Parse(text) ?? new JsonArray();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Copy(JsonObject? from, JsonObject to, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (from?[field] is { } value)
            {
                to[field] = value.DeepClone();
            }
        }
    }

    /// <summary>A list's items, a non-object item read as an empty object (Go decodes it to a zero struct).</summary>
    private static IEnumerable<JsonObject> Objects(JsonNode? list) =>
        (list as JsonArray ?? []).Select(item => item as JsonObject ?? []);
}
