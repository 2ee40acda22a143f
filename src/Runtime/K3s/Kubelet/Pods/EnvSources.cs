using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// What a container's environment reads besides the pod: the config maps and secrets its <c>env</c> and
/// <c>envFrom</c> name (null for one that does not exist), and the node's <c>allocatable</c>, which stands in for a
/// limit the container does not set when a <c>resourceFieldRef</c> asks for it. The pod worker fetches them through
/// the API (the node authorizer lets a node read what its pods reference); <see cref="ContainerEnvironment"/> reads
/// them without IO.
/// </summary>
internal sealed record EnvSources(
    IReadOnlyDictionary<string, JsonObject?> ConfigMaps,
    IReadOnlyDictionary<string, JsonObject?> Secrets,
    JsonObject? Allocatable)
{
    public static EnvSources None { get; } = new(new Dictionary<string, JsonObject?>(), new Dictionary<string, JsonObject?>(), null);

    /// <summary>
    /// Where a pod reaches the Kubernetes API, for the <c>KUBERNETES_SERVICE_*</c> variables: the address this node's
    /// kubelet uses (the API server on a server, the agent's load balancer on an agent), which a pod on the node's
    /// network reaches; null leaves the variables out.
    /// </summary>
    public Uri? KubernetesService { get; init; }

    /// <summary>
    /// The Services of the pod's namespace whose docker-links variables the container gets (<c>enableServiceLinks</c>,
    /// on by default); empty on a node without the service proxy, where their cluster IPs lead nowhere.
    /// </summary>
    public IReadOnlyList<JsonObject> Services { get; init; } = [];

    /// <summary>The (resource, name) pairs <paramref name="container"/> reads: <c>configmaps</c> or <c>secrets</c>.</summary>
    public static IReadOnlySet<(string Resource, string Name)> References(JsonObject container)
    {
        var references = new HashSet<(string, string)>();
        void Add(string resource, JsonNode? name)
        {
            if (name is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
            {
                references.Add((resource, text));
            }
        }

        foreach (var from in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Add("configmaps", from["configMapRef"]?["name"]);
            Add("secrets", from["secretRef"]?["name"]);
        }

        foreach (var env in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Add("configmaps", env["valueFrom"]?["configMapKeyRef"]?["name"]);
            Add("secrets", env["valueFrom"]?["secretKeyRef"]?["name"]);
        }

        return references;
    }

    /// <summary>Whether <paramref name="container"/> has a <c>resourceFieldRef</c>, which may need the node's allocatable.</summary>
    public static bool NeedsAllocatable(JsonObject container) =>
        (container["env"] as JsonArray ?? []).OfType<JsonObject>().Any(env => env["valueFrom"]?["resourceFieldRef"] is JsonObject);
}
