using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// kube-controller-manager's root-ca-cert-publisher: keeps a <c>kube-root-ca.crt</c> ConfigMap in every namespace
/// whose <c>ca.crt</c> is the CA that signs the API server's certificate (k3s passes <c>server-ca.crt</c> as
/// <c>--root-ca-file</c>), with kube's description annotation. It is created when a namespace appears, recreated if
/// deleted, and put back if its data or annotation is changed; a namespace being deleted is left alone. Pods read it
/// through the projected <c>kube-api-access</c> volume to trust the API server. ConfigMaps are watched through the
/// metadata-only cache the garbage collector already keeps (no second copy of every ConfigMap's data); the one
/// config map's data is read live when it has to be compared.
/// </summary>
internal sealed class RootCaPublisher(string rootCaPem) : IController
{
    public const string ConfigMapName = "kube-root-ca.crt";

    public const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    public string Name => "root-ca-cert-publisher";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var namespaces = await context.Caches.GetAsync(ApiPaths.Namespaces, ct);
        var configMaps = await context.Caches.GetAsync(ApiPaths.ConfigMaps, ct, metadataOnly: true);
        using var onNamespace = namespaces.Subscribe((_, after) =>
        {
            if (after is not null)
            {
                queue.Add(ObjectKeys.Name(after));
            }
        });
        using var onConfigMap = configMaps.Subscribe((before, after) =>
        {
            if ((after ?? before) is { } changed && ObjectKeys.Name(changed) == ConfigMapName)
            {
                queue.Add(ObjectKeys.Namespace(changed));
            }
        });

        await ReconcileLoop.RunAsync(Name, queue, (ns, token) => ReconcileAsync(context, namespaces, configMaps, ns, token), 1, context.Loggers.CreateLogger("k3s.controllers.rootcacertpublisher"), ct);
    }

    /// <summary>Whether <paramref name="stored"/> already says what the publisher writes.</summary>
    private bool IsCurrent(JsonObject stored) =>
        stored["data"] is JsonObject { Count: 1 } data && data["ca.crt"]?.GetValue<string>() == rootCaPem
        && stored["metadata"]?["annotations"]?["kubernetes.io/description"]?.GetValue<string>() == Description;

    private async Task ReconcileAsync(ControllerContext context, SharedCache namespaces, SharedCache configMaps, string ns, CancellationToken ct)
    {
        if (!namespaces.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, ns), out var namespaceObject)
            || ObjectKeys.IsDeleting(namespaceObject)
            || namespaceObject["status"]?["phase"]?.GetValue<string>() == "Terminating")
        {
            return;
        }

        try
        {
            if (!configMaps.Items.ContainsKey(ObjectKeys.CacheKey(ns, ConfigMapName)))
            {
                var created = new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = ConfigMapName,
                        ["namespace"] = ns,
                        ["annotations"] = new JsonObject { ["kubernetes.io/description"] = Description },
                    },
                    ["data"] = new JsonObject { ["ca.crt"] = rootCaPem },
                };
                await context.Api.CreateAsync(ApiPaths.For(ApiPaths.ConfigMaps, ns), created, ct);
                return;
            }

            if (await context.Api.GetAsync(ApiPaths.For(ApiPaths.ConfigMaps, ns, ConfigMapName), ct) is not { } stored || IsCurrent(stored))
            {
                // Gone since the cache saw it (its deletion brings this namespace back), or as it should be.
                return;
            }

            var updated = (JsonObject)stored.DeepClone();
            updated["data"] = new JsonObject { ["ca.crt"] = rootCaPem };
            var metadata = (JsonObject)updated["metadata"]!;
            var annotations = metadata["annotations"] as JsonObject ?? [];
            annotations["kubernetes.io/description"] = Description;
            metadata["annotations"] = annotations;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.ConfigMaps, ns, ConfigMapName), updated, ct);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            // A cache behind the store (the next event brings this namespace back), or the namespace is going away.
        }
    }
}
