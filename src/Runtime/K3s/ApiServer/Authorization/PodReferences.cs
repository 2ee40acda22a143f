using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// What a pod makes its node entitled to read, as kube-apiserver's node authorizer graph records it: the service
/// account, the secrets and config maps in volumes (direct and projected), environment references, envFrom
/// sources and image pull secrets, and the persistent volume claims it mounts.
/// </summary>
internal static class PodReferences
{
    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    /// <summary>The node the pod is bound to (empty when unscheduled) and the (resource, name) pairs it references.</summary>
    public static (string Node, IReadOnlySet<(string Resource, string Name)> References) Of(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var references = new HashSet<(string, string)>();
        void Add(string resource, JsonNode? name)
        {
            if (name is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
            {
                references.Add((resource, text));
            }
        }

        Add("serviceaccounts", spec["serviceAccountName"] ?? JsonValue.Create("default"));
        foreach (var secret in Items(spec["imagePullSecrets"]))
        {
            Add("secrets", secret["name"]);
        }

        foreach (var volume in Items(spec["volumes"]))
        {
            Add("secrets", volume["secret"]?["secretName"]);
            Add("configmaps", volume["configMap"]?["name"]);
            Add("persistentvolumeclaims", volume["persistentVolumeClaim"]?["claimName"]);
            foreach (var source in Items(volume["projected"]?["sources"]))
            {
                Add("secrets", source["secret"]?["name"]);
                Add("configmaps", source["configMap"]?["name"]);
            }
        }

        foreach (var container in ContainerLists.SelectMany(list => Items(spec[list])))
        {
            foreach (var env in Items(container["env"]))
            {
                Add("secrets", env["valueFrom"]?["secretKeyRef"]?["name"]);
                Add("configmaps", env["valueFrom"]?["configMapKeyRef"]?["name"]);
            }

            foreach (var from in Items(container["envFrom"]))
            {
                Add("secrets", from["secretRef"]?["name"]);
                Add("configmaps", from["configMapRef"]?["name"]);
            }
        }

        var node = spec["nodeName"] is JsonValue n && n.TryGetValue<string>(out var bound) ? bound : string.Empty;
        return (node, references);
    }

    private static IEnumerable<JsonObject> Items(JsonNode? list) => (list as JsonArray ?? []).OfType<JsonObject>();
}
