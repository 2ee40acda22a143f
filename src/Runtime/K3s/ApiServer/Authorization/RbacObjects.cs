using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>Reads stored rbac.authorization.k8s.io/v1 objects into the authorizer's model; absent lists read as empty.</summary>
internal static class RbacObjects
{
    /// <summary>A Role or ClusterRole (a ClusterRole has no namespace).</summary>
    public static RbacRole Role(JsonObject obj)
    {
        var rules = (obj["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(Rule).ToList();
        return new RbacRole(Text(obj["metadata"]?["namespace"]), Text(obj["metadata"]?["name"]), rules);
    }

    /// <summary>A RoleBinding or ClusterRoleBinding.</summary>
    public static RbacBinding Binding(JsonObject obj)
    {
        var roleRef = obj["roleRef"] as JsonObject;
        var subjects = (obj["subjects"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(s => new RbacSubject(Text(s["kind"]), Text(s["name"]), Text(s["namespace"])))
            .ToList();
        return new RbacBinding(Text(obj["metadata"]?["namespace"]), Text(obj["metadata"]?["name"]), Text(roleRef?["kind"]), Text(roleRef?["name"]), subjects);
    }

    public static PolicyRule Rule(JsonObject rule) =>
        new(Strings(rule["verbs"]), Strings(rule["apiGroups"]), Strings(rule["resources"]), Strings(rule["resourceNames"]), Strings(rule["nonResourceURLs"]));

    /// <summary>The rule as the API writes it, omitting empty lists.</summary>
    public static JsonObject ToJson(PolicyRule rule)
    {
        var json = new JsonObject();
        Add(json, "verbs", rule.Verbs);
        Add(json, "apiGroups", rule.ApiGroups);
        Add(json, "resources", rule.Resources);
        Add(json, "resourceNames", rule.ResourceNames);
        Add(json, "nonResourceURLs", rule.NonResourceUrls);
        return json;
    }

    private static void Add(JsonObject json, string name, IReadOnlyList<string> values)
    {
        if (values.Count > 0 || name == "verbs")
        {
            json[name] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
        }
    }

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : string.Empty;

    private static List<string> Strings(JsonNode? node) =>
        [.. (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>()];
}
