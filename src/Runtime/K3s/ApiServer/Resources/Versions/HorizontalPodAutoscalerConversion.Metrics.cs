using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Versions;

/// <summary>
/// Metric specs and statuses between v2's shape (a <c>metric</c> identifier and a typed <c>target</c> or
/// <c>current</c>) and the flat v1 shape the annotations hold (<c>metricName</c>, <c>targetAverageValue</c>, ...),
/// field by field as kube's v1 conversion functions map them. v1 has no target type: the way back derives it from
/// the fields set. Fields Go writes even when empty (<c>metricName</c>, <c>targetValue</c>, ...) are written here
/// too, as <c>""</c> or <c>"0"</c>.
/// </summary>
internal static partial class HorizontalPodAutoscalerConversion
{
    private static JsonObject MetricSpecToV1(JsonObject metric) => Sources(metric, "type", ("object", ObjectSourceToV1), ("pods", PodsSourceToV1), ("resource", ResourceSourceToV1), ("containerResource", ContainerSourceToV1), ("external", ExternalSourceToV1));

    private static JsonObject MetricSpecToV2(JsonObject metric) => Sources(metric, "type", ("object", ObjectSourceToV2), ("pods", PodsSourceToV2), ("resource", ResourceSourceToV2), ("containerResource", ContainerSourceToV2), ("external", ExternalSourceToV2));

    private static JsonObject MetricStatusToV1(JsonObject metric) => Sources(metric, "type", ("object", ObjectStatusToV1), ("pods", PodsStatusToV1), ("resource", ResourceStatusToV1), ("containerResource", ContainerStatusToV1), ("external", ExternalStatusToV1));

    private static JsonObject MetricStatusToV2(JsonObject metric) => Sources(metric, "type", ("object", ObjectStatusToV2), ("pods", PodsStatusToV2), ("resource", ResourceStatusToV2), ("containerResource", ContainerStatusToV2), ("external", ExternalStatusToV2));

    /// <summary>The type, then each source present, converted (the same field names in both versions).</summary>
    private static JsonObject Sources(JsonObject metric, string typeField, params (string Field, Func<JsonNode, JsonObject> Convert)[] sources)
    {
        var result = new JsonObject { [typeField] = Str(metric, typeField) ?? string.Empty };
        foreach (var (field, convert) in sources)
        {
            if (Get(metric, field) is JsonObject source)
            {
                result[field] = convert(source);
            }
        }

        return result;
    }

    private static JsonObject ObjectSourceToV1(JsonNode source)
    {
        var target = source["target"];
        var result = new JsonObject
        {
            ["target"] = Reference(source["describedObject"]),
            ["metricName"] = Str(source["metric"], "name") ?? string.Empty,
            ["targetValue"] = QuantityOrZero(target?["value"]),
        };
        Put(result, "selector", source["metric"]?["selector"]);
        Put(result, "averageValue", target?["averageValue"]);
        return result;
    }

    private static JsonObject ObjectSourceToV2(JsonNode source)
    {
        var averageValue = Get(source, "averageValue");
        var target = new JsonObject { ["type"] = averageValue is null ? "Value" : "AverageValue", ["value"] = QuantityOrZero(Get(source, "targetValue")) };
        Put(target, "averageValue", averageValue);
        return new JsonObject
        {
            ["describedObject"] = Reference(Get(source, "target")),
            ["target"] = target,
            ["metric"] = Identifier(Get(source, "metricName"), Get(source, "selector")),
        };
    }

    private static JsonObject PodsSourceToV1(JsonNode source)
    {
        var result = new JsonObject
        {
            ["metricName"] = Str(source["metric"], "name") ?? string.Empty,
            ["targetAverageValue"] = QuantityOrZero(source["target"]?["averageValue"]),
        };
        Put(result, "selector", source["metric"]?["selector"]);
        return result;
    }

    private static JsonObject PodsSourceToV2(JsonNode source) => new()
    {
        ["metric"] = Identifier(Get(source, "metricName"), Get(source, "selector")),
        ["target"] = new JsonObject { ["type"] = "AverageValue", ["averageValue"] = QuantityOrZero(Get(source, "targetAverageValue")) },
    };

    private static JsonObject ResourceSourceToV1(JsonNode source)
    {
        var result = new JsonObject { ["name"] = Str(source, "name") ?? string.Empty };
        Put(result, "targetAverageUtilization", source["target"]?["averageUtilization"]);
        Put(result, "targetAverageValue", source["target"]?["averageValue"]);
        return result;
    }

    private static JsonObject ResourceSourceToV2(JsonNode source) => new()
    {
        ["name"] = Str(source, "name") ?? string.Empty,
        ["target"] = UtilizationOrAverage(Get(source, "targetAverageUtilization"), Get(source, "targetAverageValue")),
    };

    private static JsonObject ContainerSourceToV1(JsonNode source)
    {
        var result = ResourceSourceToV1(source);
        result["container"] = Str(source, "container") ?? string.Empty;
        return result;
    }

    private static JsonObject ContainerSourceToV2(JsonNode source)
    {
        var result = ResourceSourceToV2(source);
        result["container"] = Str(source, "container") ?? string.Empty;
        return result;
    }

    private static JsonObject ExternalSourceToV1(JsonNode source)
    {
        var result = new JsonObject { ["metricName"] = Str(source["metric"], "name") ?? string.Empty };
        Put(result, "metricSelector", source["metric"]?["selector"]);
        Put(result, "targetValue", source["target"]?["value"]);
        Put(result, "targetAverageValue", source["target"]?["averageValue"]);
        return result;
    }

    private static JsonObject ExternalSourceToV2(JsonNode source)
    {
        var value = Get(source, "targetValue");
        var target = new JsonObject { ["type"] = value is null ? "AverageValue" : "Value" };
        Put(target, "value", value);
        Put(target, "averageValue", Get(source, "targetAverageValue"));
        return new JsonObject { ["metric"] = Identifier(Get(source, "metricName"), Get(source, "metricSelector")), ["target"] = target };
    }

    private static JsonObject ObjectStatusToV1(JsonNode status)
    {
        var result = new JsonObject
        {
            ["target"] = Reference(status["describedObject"]),
            ["metricName"] = Str(status["metric"], "name") ?? string.Empty,
            ["currentValue"] = QuantityOrZero(status["current"]?["value"]),
        };
        Put(result, "selector", status["metric"]?["selector"]);
        Put(result, "averageValue", status["current"]?["averageValue"]);
        return result;
    }

    private static JsonObject ObjectStatusToV2(JsonNode status)
    {
        var current = new JsonObject { ["value"] = QuantityOrZero(Get(status, "currentValue")) };
        Put(current, "averageValue", Get(status, "averageValue"));
        return new JsonObject
        {
            ["metric"] = Identifier(Get(status, "metricName"), Get(status, "selector")),
            ["current"] = current,
            ["describedObject"] = Reference(Get(status, "target")),
        };
    }

    private static JsonObject PodsStatusToV1(JsonNode status)
    {
        var result = new JsonObject
        {
            ["metricName"] = Str(status["metric"], "name") ?? string.Empty,
            ["currentAverageValue"] = QuantityOrZero(status["current"]?["averageValue"]),
        };
        Put(result, "selector", status["metric"]?["selector"]);
        return result;
    }

    private static JsonObject PodsStatusToV2(JsonNode status) => new()
    {
        ["metric"] = Identifier(Get(status, "metricName"), Get(status, "selector")),
        ["current"] = new JsonObject { ["averageValue"] = QuantityOrZero(Get(status, "currentAverageValue")) },
    };

    private static JsonObject ResourceStatusToV1(JsonNode status)
    {
        var result = new JsonObject { ["name"] = Str(status, "name") ?? string.Empty };
        Put(result, "currentAverageUtilization", status["current"]?["averageUtilization"]);
        result["currentAverageValue"] = QuantityOrZero(status["current"]?["averageValue"]);
        return result;
    }

    private static JsonObject ResourceStatusToV2(JsonNode status)
    {
        var current = new JsonObject { ["averageValue"] = QuantityOrZero(Get(status, "currentAverageValue")) };
        Put(current, "averageUtilization", Get(status, "currentAverageUtilization"));
        return new JsonObject { ["name"] = Str(status, "name") ?? string.Empty, ["current"] = current };
    }

    private static JsonObject ContainerStatusToV1(JsonNode status)
    {
        var result = ResourceStatusToV1(status);
        result["container"] = Str(status, "container") ?? string.Empty;
        return result;
    }

    private static JsonObject ContainerStatusToV2(JsonNode status)
    {
        var result = ResourceStatusToV2(status);
        result["container"] = Str(status, "container") ?? string.Empty;
        return result;
    }

    private static JsonObject ExternalStatusToV1(JsonNode status)
    {
        var result = new JsonObject { ["metricName"] = Str(status["metric"], "name") ?? string.Empty };
        Put(result, "metricSelector", status["metric"]?["selector"]);
        result["currentValue"] = QuantityOrZero(status["current"]?["value"]);
        Put(result, "currentAverageValue", status["current"]?["averageValue"]);
        return result;
    }

    private static JsonObject ExternalStatusToV2(JsonNode status)
    {
        var current = new JsonObject { ["value"] = QuantityOrZero(Get(status, "currentValue")) };
        Put(current, "averageValue", Get(status, "currentAverageValue"));
        return new JsonObject { ["metric"] = Identifier(Get(status, "metricName"), Get(status, "metricSelector")), ["current"] = current };
    }

    /// <summary>v1's resource targets: a utilization makes a Utilization target, else an AverageValue one.</summary>
    private static JsonObject UtilizationOrAverage(JsonNode? utilization, JsonNode? averageValue)
    {
        var target = new JsonObject { ["type"] = utilization is null ? "AverageValue" : "Utilization" };
        Put(target, "averageValue", averageValue);
        Put(target, "averageUtilization", utilization);
        return target;
    }

    private static JsonObject Identifier(JsonNode? name, JsonNode? selector)
    {
        var result = new JsonObject { ["name"] = JsonFieldText(name) };
        Put(result, "selector", selector);
        return result;
    }

    /// <summary>A <c>CrossVersionObjectReference</c>, the same in every version: kind, name, and apiVersion unless empty.</summary>
    private static JsonObject Reference(JsonNode? reference)
    {
        var result = new JsonObject { ["kind"] = Str(reference, "kind") ?? string.Empty, ["name"] = Str(reference, "name") ?? string.Empty };
        if (Str(reference, "apiVersion") is { Length: > 0 } apiVersion)
        {
            result["apiVersion"] = apiVersion;
        }

        return result;
    }

    /// <summary>A quantity as given, or Go's zero quantity (<c>"0"</c>) for a non-pointer field left unset.</summary>
    private static JsonNode QuantityOrZero(JsonNode? quantity) => quantity?.DeepClone() ?? "0";

    private static string JsonFieldText(JsonNode? node) => JsonFieldString(node) ?? string.Empty;

    private static void Put(JsonObject target, string field, JsonNode? value)
    {
        if (value is not null)
        {
            target[field] = value.DeepClone();
        }
    }

    /// <summary>A string field, matched as Go's decoder matches JSON names (exactly, else ignoring case).</summary>
    private static string? Str(JsonNode? node, string field) => JsonFieldString(Get(node, field));

    private static string? JsonFieldString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A field as Go's decoder finds it: the exact name, else the first name equal ignoring case.</summary>
    private static JsonNode? Get(JsonNode? node, string field)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }

        if (obj.TryGetPropertyValue(field, out var exact))
        {
            return exact;
        }

        return obj.FirstOrDefault(e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase)).Value;
    }
}
