using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// What an update may not change, in kube-apiserver's words: a workload's selector ("field is immutable"), a
/// StatefulSet's spec beyond the fields it lists, a Service's cluster IP, and a pod's list of containers and its
/// deadline. Compared as Go's semantic equality compares: an empty list, map or string equals a missing one.
/// Not checked: the rest of a pod's spec (kube-apiserver answers with a diff of Go structs) and Jobs' template.
/// </summary>
internal static class UpdateRules
{
    private static readonly string[] StatefulSetMutable = ["replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy"];

    public static void SelectorImmutable(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        var (selector, old) = (spec.Obj("selector"), oldSpec.Obj("selector"));
        if (!JsonNode.DeepEquals(Normalized(selector), Normalized(old)))
        {
            errors.Invalid("spec.selector", GoValue.LabelSelector(selector), "field is immutable");
        }
    }

    public static void StatefulSetSpec(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        if (!JsonNode.DeepEquals(Normalized(Without(spec, StatefulSetMutable)), Normalized(Without(oldSpec, StatefulSetMutable))))
        {
            errors.Forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }

    /// <summary>
    /// A Service's cluster IPs may not change once set (<c>validateUpgradeDowngradeClusterIPs</c>). An update that
    /// leaves them out keeps the old ones in kube-apiserver, so only a different value is an error.
    /// </summary>
    public static void ClusterIPs(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        if (spec.Str("type") == "ExternalName" || oldSpec.Str("type") == "ExternalName")
        {
            return;
        }

        var (now, before) = (ServiceRules.ClusterIPs(spec), ServiceRules.ClusterIPs(oldSpec));
        if (now.Count == 0 || (now is ["None"] && before is ["None"]))
        {
            return;
        }

        // Changing only clusterIP rewrites clusterIPs to match, as kube-apiserver's normalization does.
        if (spec.Str("clusterIP") is { Length: > 0 } primary && primary != oldSpec.Str("clusterIP") && now.SequenceEqual(before) && before.Count > 0)
        {
            now = [primary, .. now.Skip(1)];
        }

        var value = new GoValue("[]string{" + string.Join(", ", now.Select(GoValue.Quote)) + "}");
        for (var i = 0; i < Math.Min(now.Count, before.Count); i++)
        {
            if (now[i] != before[i] && (i == 0 || now.Count == before.Count))
            {
                errors.Invalid($"spec.clusterIPs[{i}]", value, "may not change once set");
            }
        }
    }

    /// <summary>Returns false when the pod's container lists changed length, after which kube-apiserver checks nothing more.</summary>
    public static bool PodContainers(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var (now, before) = (spec.Arr(list), oldSpec.Arr(list));
            if ((now?.Count ?? 0) != (before?.Count ?? 0))
            {
                errors.Forbidden($"spec.{list}", "pod updates may not add or remove containers");
                return false;
            }

            foreach (var (i, container) in now.Items())
            {
                var image = container.Str("image") ?? string.Empty;
                if (image.Length == 0)
                {
                    errors.Required($"spec.{list}[{i}].image");
                }

                if (image.Trim() != image)
                {
                    errors.Invalid($"spec.{list}[{i}].image", image, "must not have leading or trailing whitespace");
                }
            }
        }

        return true;
    }

    /// <summary>A pod's deadline may be set or shortened, never lengthened or removed.</summary>
    public static void PodDeadline(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        var (now, before) = (spec.Long("activeDeadlineSeconds"), oldSpec.Long("activeDeadlineSeconds"));
        if (now is { } deadline)
        {
            if (deadline is < 0 or > int.MaxValue)
            {
                errors.Invalid("spec.activeDeadlineSeconds", deadline, Formats.InclusiveRange(0, int.MaxValue));
            }
            else if (before < deadline)
            {
                errors.Invalid("spec.activeDeadlineSeconds", deadline, "must be less than or equal to previous value");
            }
        }
        else if (before is not null)
        {
            errors.Invalid("spec.activeDeadlineSeconds", "null", "must not update from a positive integer to nil value");
        }
    }

    private static JsonObject? Without(JsonObject? spec, string[] fields)
    {
        if (spec?.DeepClone() is not JsonObject copy)
        {
            return null;
        }

        foreach (var field in fields)
        {
            copy.Remove(field);
        }

        return copy;
    }

    /// <summary>
    /// A copy without the values Go's semantic equality treats as unset: null, "", false, and empty lists and maps
    /// below the top (a present but empty struct pointer at the top still differs from a missing one).
    /// </summary>
    private static JsonNode? Normalized(JsonNode? node, bool top = true)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    if (Normalized(value, top: false) is { } kept)
                    {
                        copy[key] = kept;
                    }
                }

                return copy.Count == 0 && !top ? null : copy;
            case JsonArray list:
                return list.Count == 0 ? null : new JsonArray(list.Select(i => i is JsonObject ? Normalized(i, top: false) ?? new JsonObject() : i?.DeepClone()).ToArray());
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.Null or JsonValueKind.False => null,
                    JsonValueKind.String when value.GetValue<string>().Length == 0 => null,
                    _ => value.DeepClone(),
                };
            default:
                return null;
        }
    }
}
