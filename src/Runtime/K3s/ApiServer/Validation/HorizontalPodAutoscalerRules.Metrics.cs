using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// An autoscaler's metrics (<c>validateMetrics</c>): a known type, exactly the source that type names (only the first
/// source present is checked further), metric names usable as path segments, targets of a known type with positive
/// amounts, and per source the amounts it needs: Object a value or average value, External one of them, Pods an
/// average value, Resource and ContainerResource a utilization or an average value but not both. A
/// ContainerResource also names a container (an RFC 1123 label) and a standard container resource.
/// </summary>
internal static partial class HorizontalPodAutoscalerRules
{
    private static readonly string[] SourceTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"];

    private static readonly string[] StandardResources =
    [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
        "persistentvolumeclaims", "configmaps", "storage", "requests.storage", "services.nodeports", "services.loadbalancers",
    ];

    private static readonly (string Type, string Field, Action<JsonObject, string, FieldErrorList> Check)[] Sources =
    [
        ("Object", "object", ObjectSource),
        ("External", "external", ExternalSource),
        ("Pods", "pods", PodsSource),
        ("Resource", "resource", ResourceSource),
        ("ContainerResource", "containerResource", ContainerResourceSource),
    ];

    private static void Metrics(JsonArray? metrics, long? minReplicas, FieldErrorList errors)
    {
        var scalesFromZero = false;
        foreach (var (i, item) in metrics.Items())
        {
            var type = item.Str("type") ?? string.Empty;
            Metric(item as JsonObject, type, $"spec.metrics[{i}]", errors);
            scalesFromZero |= type is "Object" or "External";
        }

        if (minReplicas == 0 && !scalesFromZero)
        {
            errors.Forbidden("spec.metrics", "must specify at least one Object or External metric to support scaling to zero replicas");
        }
    }

    private static void Metric(JsonObject? metric, string type, string path, FieldErrorList errors)
    {
        if (type.Length == 0)
        {
            errors.Required($"{path}.type", "must specify a metric source type");
        }

        if (!SourceTypes.Contains(type, StringComparer.Ordinal))
        {
            errors.NotSupported($"{path}.type", type, SourceTypes);
        }

        var present = new List<string>();
        foreach (var (_, field, check) in Sources)
        {
            if (metric.Obj(field) is { } source)
            {
                present.Add(field);
                if (present.Count == 1)
                {
                    check(source, $"{path}.{field}", errors);
                }
            }
        }

        var expected = Sources.FirstOrDefault(s => s.Type == type).Field;
        if (expected is null)
        {
            // kube's switch on the type reports an unknown one a second time.
            errors.NotSupported($"{path}.type", type, SourceTypes);
        }
        else if (metric.Obj(expected) is null)
        {
            errors.Required($"{path}.{expected}", "must populate information for the given metric source");
        }

        if (present.Count != 1)
        {
            foreach (var field in present.Where(f => f != expected))
            {
                errors.Forbidden($"{path}.{field}", "must populate the given metric source only");
            }
        }
    }

    private static void ObjectSource(JsonObject source, string path, FieldErrorList errors)
    {
        Reference(source.Obj("describedObject"), $"{path}.describedObject", errors);
        Identifier(source.Obj("metric"), $"{path}.metric", errors);
        var target = source.Obj("target");
        Target(target, $"{path}.target", errors);
        if (!target.Has("value") && !target.Has("averageValue"))
        {
            errors.Required($"{path}.target.averageValue", "must set either a target value or averageValue");
        }
    }

    private static void ExternalSource(JsonObject source, string path, FieldErrorList errors)
    {
        Identifier(source.Obj("metric"), $"{path}.metric", errors);
        var target = source.Obj("target");
        Target(target, $"{path}.target", errors);
        if (!target.Has("value") && !target.Has("averageValue"))
        {
            errors.Required($"{path}.target.averageValue", "must set either a target value for metric or a per-pod target");
        }

        if (target.Has("value") && target.Has("averageValue"))
        {
            errors.Forbidden($"{path}.target.value", "may not set both a target value for metric and a per-pod target");
        }
    }

    private static void PodsSource(JsonObject source, string path, FieldErrorList errors)
    {
        Identifier(source.Obj("metric"), $"{path}.metric", errors);
        var target = source.Obj("target");
        Target(target, $"{path}.target", errors);
        if (!target.Has("averageValue"))
        {
            errors.Required($"{path}.target.averageValue", "must specify a positive target averageValue");
        }
    }

    private static void ResourceSource(JsonObject source, string path, FieldErrorList errors)
    {
        if (source.Str("name") is not { Length: > 0 })
        {
            errors.Required($"{path}.name", "must specify a resource name");
        }

        UtilizationOrAverage(source.Obj("target"), $"{path}.target", errors);
    }

    private static void ContainerResourceSource(JsonObject source, string path, FieldErrorList errors)
    {
        if (source.Str("name") is not { Length: > 0 } name)
        {
            errors.Required($"{path}.name", "must specify a resource name");
        }
        else
        {
            ContainerResourceName(name, $"{path}.name", errors);
        }

        if (source.Str("container") is not { Length: > 0 } container)
        {
            errors.Required($"{path}.container", "must specify a container");
        }
        else
        {
            errors.InvalidEach($"{path}.container", container, Formats.Dns1123Label(container));
        }

        UtilizationOrAverage(source.Obj("target"), $"{path}.target", errors);
    }

    private static void UtilizationOrAverage(JsonObject? target, string path, FieldErrorList errors)
    {
        Target(target, path, errors);
        if (!target.Has("averageUtilization") && !target.Has("averageValue"))
        {
            errors.Required($"{path}.averageUtilization", "must set either a target raw value or a target utilization");
        }

        if (target.Has("averageUtilization") && target.Has("averageValue"))
        {
            errors.Forbidden($"{path}.averageValue", "may not set both a target raw value and a target utilization");
        }
    }

    /// <summary><c>validateMetricTarget</c>: a known type; amounts, when set, above zero.</summary>
    private static void Target(JsonObject? target, string path, FieldErrorList errors)
    {
        var type = target.Str("type") ?? string.Empty;
        if (type.Length == 0)
        {
            errors.Required($"{path}.type", "must specify a metric target type");
        }

        if (type is not ("Utilization" or "Value" or "AverageValue"))
        {
            errors.Invalid($"{path}.type", type, "must be either Utilization, Value, or AverageValue");
        }

        foreach (var field in new[] { "value", "averageValue" })
        {
            if (target?[field] is { } amount && Quantity.TryRead(amount, out var quantity) && quantity.Value <= 0)
            {
                errors.Invalid($"{path}.{field}", GoQuantity.Of(amount), "must be positive");
            }
        }

        if (target.Long("averageUtilization") is { } utilization && utilization < 1)
        {
            errors.Invalid($"{path}.averageUtilization", utilization, "must be greater than 0");
        }
    }

    private static void Identifier(JsonObject? metric, string path, FieldErrorList errors)
    {
        if (metric.Str("name") is not { Length: > 0 } name)
        {
            errors.Required($"{path}.name", "must specify a metric name");
        }
        else
        {
            errors.InvalidEach($"{path}.name", name, Formats.PathSegmentName(name));
        }
    }

    /// <summary>core/v1's <c>ValidateContainerResourceName</c>: a qualified name, and a standard container resource unless prefixed (then native or extended).</summary>
    private static void ContainerResourceName(string name, string path, FieldErrorList errors)
    {
        var qualified = Formats.QualifiedName(name);
        errors.InvalidEach(path, name, qualified);
        var prefixed = name.Contains('/', StringComparison.Ordinal);
        if (qualified.Count == 0 && !prefixed && !StandardResources.Contains(name, StringComparer.Ordinal) && !IsHugePages(name))
        {
            errors.Invalid(path, name, "must be a standard resource type or fully qualified");
        }

        if (!prefixed)
        {
            if (name is not ("cpu" or "memory" or "ephemeral-storage") && !name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                errors.Invalid(path, name, "must be a standard resource for containers");
            }
        }
        else if (!name.Contains("kubernetes.io/", StringComparison.Ordinal)
            && (name.StartsWith("requests.", StringComparison.Ordinal) || Formats.QualifiedName("requests." + name).Count > 0))
        {
            errors.Invalid(path, name, "doesn't follow extended resource name standard");
        }
    }

    private static bool IsHugePages(string name) =>
        name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.hugepages-", StringComparison.Ordinal);
}
