using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

// Reading what a container's environment refers to, before each start.
internal sealed partial class PodWorker
{
    /// <summary>
    /// Fetches the config maps and secrets <paramref name="container"/>'s <c>env</c> and <c>envFrom</c> name (a missing
    /// one is null, for <see cref="ContainerEnvironment"/> to judge by <c>optional</c>) and, for a
    /// <c>resourceFieldRef</c>, this node's allocatable, and for the service links the namespace's Services. When the API could not be asked, no sources and the reason:
    /// the container then waits and its start is tried again.
    /// </summary>
    private async Task<(EnvSources? Sources, string? Error)> EnvSourcesAsync(JsonObject container, CancellationToken ct)
    {
        var references = EnvSources.References(container);
        var needsNode = EnvSources.NeedsAllocatable(container);
        // Service links only where cluster IPs lead somewhere: on a node that runs the service proxy.
        var links = _settings.InClusterApi is not null && (_pod["spec"]?["enableServiceLinks"] is not JsonValue value || !value.TryGetValue<bool>(out var enabled) || enabled);
        if (references.Count == 0 && !needsNode && !links)
        {
            return (EnvSources.None with { KubernetesService = _settings.InClusterApi ?? _settings.ApiServer }, null);
        }

        var configMaps = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        try
        {
            foreach (var (resource, name) in references)
            {
                var stored = await _api.GetAsync($"/api/v1/namespaces/{Namespace}/{resource}/{name}", ct);
                (resource == "secrets" ? secrets : configMaps)[name] = stored;
            }

            var node = needsNode ? await _api.GetAsync($"/api/v1/nodes/{_settings.NodeName}", ct) : null;
            var services = links ? await _api.GetAsync($"/api/v1/namespaces/{Namespace}/services", ct) : null;
            return (new EnvSources(configMaps, secrets, node?["status"]?["allocatable"] as JsonObject)
            {
                KubernetesService = _settings.InClusterApi ?? _settings.ApiServer,
                Services = [.. (services?["items"] as JsonArray ?? []).OfType<JsonObject>()],
            }, null);
        }
        catch (Exception e) when (e is HttpRequestException or ApiException or IOException)
        {
            return (null, e.Message);
        }
    }
}
