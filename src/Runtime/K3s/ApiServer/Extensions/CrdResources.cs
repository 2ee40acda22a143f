using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// Reads a CustomResourceDefinition (apiextensions.k8s.io/v1): its defaults and validation as kube-apiserver applies
/// them on create and update, and the resources it serves, one per served version, with the plural, kind, short
/// names, categories, scope, schema, printer columns and status subresource it declares. Pure.
/// </summary>
internal static class CrdResources
{
    public const string Group = "apiextensions.k8s.io";

    /// <summary>Where definitions are stored.</summary>
    public static readonly Storage.ResourceKind Kind = new(Group, "customresourcedefinitions", false);

    private static readonly string[] Verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];
    private static readonly string[] StatusVerbs = ["get", "patch", "update"];

    /// <summary>Fills what kube-apiserver defaults: the singular and list kind names and conversion strategy None.</summary>
    public static void ApplyDefaults(JsonObject crd)
    {
        if (crd["spec"] is not JsonObject spec)
        {
            return;
        }

        if (spec["names"] is JsonObject names && names["kind"] is JsonValue kind && kind.TryGetValue<string>(out var kindName))
        {
            names["singular"] ??= kindName.ToLowerInvariant();
            names["listKind"] ??= kindName + "List";
        }

        spec["conversion"] ??= new JsonObject { ["strategy"] = "None" };
    }

    /// <summary>The 422 causes for a definition kube-apiserver would refuse (the rules users meet; not all of them).</summary>
    public static IReadOnlyList<StatusCause> Validate(JsonObject crd)
    {
        var causes = new List<StatusCause>();
        var spec = crd["spec"] as JsonObject;
        var group = Text(spec?["group"]);
        var plural = Text(spec?["names"]?["plural"]);
        if (group.Length == 0)
        {
            causes.Add(new("FieldValueRequired", "Required value", "spec.group"));
        }
        else if (!group.Contains('.', StringComparison.Ordinal))
        {
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"{group}\": should be a domain with at least one dot", "spec.group"));
        }

        if (plural.Length == 0)
        {
            causes.Add(new("FieldValueRequired", "Required value", "spec.names.plural"));
        }

        if (Text(spec?["names"]?["kind"]).Length == 0)
        {
            causes.Add(new("FieldValueRequired", "Required value", "spec.names.kind"));
        }

        var name = Text(crd["metadata"]?["name"]);
        if (group.Length > 0 && plural.Length > 0 && name != $"{plural}.{group}")
        {
            causes.Add(new("FieldValueInvalid", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group", "metadata.name"));
        }

        var scope = Text(spec?["scope"]);
        if (scope.Length == 0)
        {
            causes.Add(new("FieldValueRequired", "Required value", "spec.scope"));
        }
        else if (scope is not ("Namespaced" or "Cluster"))
        {
            causes.Add(new("FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"", "spec.scope"));
        }

        var versions = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (versions.Count == 0)
        {
            causes.Add(new("FieldValueRequired", "Required value", "spec.versions"));
        }
        else if (versions.Count(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b) != 1)
        {
            causes.Add(new("FieldValueInvalid", "Invalid value: \"\": must have exactly one version marked as storage version", "spec.versions"));
        }

        for (var i = 0; i < versions.Count; i++)
        {
            if (Text(versions[i]["name"]).Length == 0)
            {
                causes.Add(new("FieldValueRequired", "Required value", $"spec.versions[{i}].name"));
            }

            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject)
            {
                causes.Add(new("FieldValueRequired", "Required value: schemas are required", $"spec.versions[{i}].schema.openAPIV3Schema"));
            }
        }

        return causes;
    }

    /// <summary>The resources the definition serves (none when it is malformed), most preferred version first.</summary>
    public static IReadOnlyList<ApiResource> From(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = Text(spec?["group"]);
        var plural = Text(names?["plural"]);
        var kind = Text(names?["kind"]);
        var versions = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var storage = versions.FirstOrDefault(v => Flag(v["storage"])) is { } stored ? Text(stored["name"]) : string.Empty;
        if (group.Length == 0 || plural.Length == 0 || kind.Length == 0 || storage.Length == 0)
        {
            return [];
        }

        var definition = Text(crd["metadata"]?["name"]);
        var singular = Text(names!["singular"]) is { Length: > 0 } s ? s : kind.ToLowerInvariant();
        var shortNames = Strings(names["shortNames"]);
        var categories = Strings(names["categories"]);
        var namespaced = Text(spec!["scope"]) != "Cluster";
        return [.. versions
            .Where(v => Flag(v["served"]) && Text(v["name"]).Length > 0)
            .OrderBy(v => Text(v["name"]), VersionPriority.Comparer)
            .Select(v =>
            {
                var status = v["subresources"]?["status"] is JsonObject;
                var custom = new CustomResource(definition, storage, v["schema"]?["openAPIV3Schema"] as JsonObject, PrinterColumns.For(v["additionalPrinterColumns"] as JsonArray), status);
                return new ApiResource(group, Text(v["name"]), plural, singular, kind, namespaced, Verbs, shortNames, categories, status ? [new ApiSubresource("status", StatusVerbs)] : [])
                {
                    Custom = custom,
                };
            })];
    }

    private static string Text(JsonNode? node) => Validation.JsonFields.AsString(node) ?? string.Empty;

    private static bool Flag(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string[] Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(Text).Where(s => s.Length > 0)] : [];
}
