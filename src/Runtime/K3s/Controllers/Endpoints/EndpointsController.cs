using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's endpoints and endpointslice controllers in one loop: for every Service with a selector
/// it keeps the <c>Endpoints</c> of the same name and the Service's EndpointSlices (label
/// <c>kubernetes.io/service-name</c>, managed-by <c>endpointslice-controller.k8s.io</c>, owned by the Service) equal
/// to what <see cref="ServiceEndpoints"/> derives from the pods; Services without a selector (such as
/// <c>default/kubernetes</c>, which the API servers keep themselves) are left alone. A pod change requeues the
/// Services in its namespace whose selector matches it before or after. Slice creations and deletions go through
/// <see cref="Expectations"/> so a cache behind the store never makes a second slice.
/// </summary>
internal sealed partial class EndpointsController : IController
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ManagedBy = "endpointslice-controller.k8s.io";

    public string Name => "endpoints";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var expectations = new Expectations(context.Time);
        var services = await context.Caches.GetAsync(ApiPaths.Services, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var endpoints = await context.Caches.GetAsync(ApiPaths.Endpoints, ct);
        var slices = await context.Caches.GetAsync(ApiPaths.EndpointSlices, ct);
        using var onService = services.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onPod = pods.Subscribe((before, after) =>
        {
            var pod = (after ?? before)!;
            var ns = ObjectKeys.Namespace(pod);
            foreach (var (key, service) in services.Items.Where(s => s.Key.StartsWith(ns + "/", StringComparison.Ordinal)))
            {
                if (Selects(service, before) || Selects(service, after))
                {
                    queue.Add(ObjectKeys.Of(service));
                }
            }
        });
        using var onSlice = slices.Subscribe((before, after) =>
        {
            var slice = (after ?? before)!;
            if (ServiceOf(slice) is { } service)
            {
                var key = ObjectKeys.Key(ObjectKeys.Namespace(slice), service);
                if (before is null)
                {
                    expectations.Added(key);
                }
                else if (after is null)
                {
                    expectations.Deleted(key);
                }

                queue.Add(key);
            }
        });
        using var onEndpoints = endpoints.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));

        var caches = new Caches(services, pods, endpoints, slices);
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, caches, expectations, key, token), 2, context.Loggers.CreateLogger("k3s.controllers.endpoints"), ct);
    }

    private static bool Selects(JsonObject service, JsonObject? pod) =>
        pod is not null && ServiceEndpoints.Managed(service) && service.Obj("spec").Obj("selector").Entries().All(e => pod.Obj("metadata").Obj("labels").Str(e.Key) == e.Value);

    private static string? ServiceOf(JsonObject slice)
    {
        var labels = slice.Obj("metadata").Obj("labels");
        return labels.Str(ManagedByLabel) == ManagedBy ? labels.Str(ServiceNameLabel) : null;
    }

    private static async Task ReconcileAsync(ControllerContext context, Caches caches, Expectations expectations, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        var service = caches.Services.Items.GetValueOrDefault(ObjectKeys.CacheKey(ns, name));
        var satisfied = expectations.Satisfied(key); // before the slices are read: see JobController
        var ownSlices = caches.Slices.Items.Values
            .Where(s => ObjectKeys.Namespace(s) == ns && ServiceOf(s) == name)
            .OrderBy(ObjectKeys.Name, StringComparer.Ordinal)
            .ToList();
        var current = caches.Endpoints.Items.GetValueOrDefault(ObjectKeys.CacheKey(ns, name));
        if (service is null || ObjectKeys.IsDeleting(service))
        {
            if (service is null && current is not null)
            {
                await DeleteAsync(context.Api, ApiPaths.For(ApiPaths.Endpoints, ns, name), ct);
            }

            await DeleteSlicesAsync(context, expectations, key, ownSlices, ct);
            return;
        }

        if (!ServiceEndpoints.Managed(service))
        {
            await DeleteSlicesAsync(context, expectations, key, ownSlices, ct);
            return;
        }

        var backing = ServiceEndpoints.From(service, caches.Pods.Items.Where(p => p.Key.StartsWith(ns + "/", StringComparison.Ordinal)).Select(p => p.Value));
        var ports = ServiceEndpoints.Ports(service);
        await SyncEndpointsAsync(context, service, current, EndpointsDocuments.Subsets(backing, ports), ct);
        if (satisfied)
        {
            await SyncSlicesAsync(context, expectations, key, service, ownSlices, EndpointsDocuments.Slices(backing, ports), ct);
        }
    }

    private static async Task SyncEndpointsAsync(ControllerContext context, JsonObject service, JsonObject? current, JsonArray subsets, CancellationToken ct)
    {
        var (ns, name) = (ObjectKeys.Namespace(service), ObjectKeys.Name(service));
        var labels = service.Obj("metadata").Obj("labels")?.DeepClone() as JsonObject ?? [];
        if (current is not null
            && JsonNode.DeepEquals(current["subsets"] ?? new JsonArray(), subsets)
            && JsonNode.DeepEquals(current.Obj("metadata").Obj("labels") ?? [], labels))
        {
            return;
        }

        if (current is null)
        {
            var body = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
                ["subsets"] = subsets,
            };

            // A 409 (made meanwhile) is retried by the loop from a fresher cache.
            await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Endpoints, ns), body, ct);
            return;
        }

        var updated = (JsonObject)current.DeepClone();
        updated["metadata"]!["labels"] = labels;
        updated["subsets"] = subsets;
        await context.Api.PutAsync(ApiPaths.For(ApiPaths.Endpoints, ns, name), updated, ct);
    }

    private static async Task SyncSlicesAsync(ControllerContext context, Expectations expectations, string key, JsonObject service, List<JsonObject> existing, IReadOnlyList<(JsonArray Endpoints, JsonArray Ports)> desired, CancellationToken ct)
    {
        var ns = ObjectKeys.Namespace(service);
        var name = ObjectKeys.Name(service);
        var slicesPath = ApiPaths.For(ApiPaths.EndpointSlices, ns);

        // An empty Service still gets one empty slice, as upstream publishes it.
        var wanted = desired.Count > 0 ? desired : [(new JsonArray(), new JsonArray())];
        for (var i = 0; i < Math.Min(existing.Count, wanted.Count); i++)
        {
            var slice = existing[i];
            if (JsonNode.DeepEquals(slice["endpoints"] ?? new JsonArray(), wanted[i].Endpoints) && JsonNode.DeepEquals(slice["ports"] ?? new JsonArray(), wanted[i].Ports))
            {
                continue;
            }

            var updated = (JsonObject)slice.DeepClone();
            updated["endpoints"] = wanted[i].Endpoints.DeepClone();
            updated["ports"] = wanted[i].Ports.DeepClone();
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.EndpointSlices, ns, ObjectKeys.Name(slice)), updated, ct);
        }

        var creates = wanted.Skip(existing.Count).ToList();
        var deletes = existing.Skip(wanted.Count).ToList();
        if (creates.Count == 0 && deletes.Count == 0)
        {
            return;
        }

        expectations.Expect(key, creates.Count, deletes.Count);
        foreach (var (endpointList, ports) in creates)
        {
            var slice = new JsonObject
            {
                ["apiVersion"] = "discovery.k8s.io/v1",
                ["kind"] = "EndpointSlice",
                ["metadata"] = new JsonObject
                {
                    ["generateName"] = name + "-",
                    ["namespace"] = ns,
                    ["labels"] = new JsonObject { [ServiceNameLabel] = name, [ManagedByLabel] = ManagedBy },
                    ["ownerReferences"] = new JsonArray(ControllerRef.For(service, "v1", "Service")),
                },
                ["addressType"] = "IPv4",
                ["endpoints"] = endpointList.DeepClone(),
                ["ports"] = ports.DeepClone(),
            };
            try
            {
                await context.Api.CreateAsync(slicesPath, slice, ct);
            }
            catch
            {
                expectations.AddFailed(key);
                throw;
            }
        }

        await DeleteSlicesAsync(context, expectations, key, deletes, ct, expect: false);
    }

    private static async Task DeleteSlicesAsync(ControllerContext context, Expectations expectations, string key, IReadOnlyList<JsonObject> slices, CancellationToken ct, bool expect = true)
    {
        if (expect && slices.Count > 0)
        {
            expectations.Expect(key, 0, slices.Count);
        }

        foreach (var slice in slices)
        {
            try
            {
                await DeleteAsync(context.Api, ApiPaths.For(ApiPaths.EndpointSlices, ObjectKeys.Namespace(slice), ObjectKeys.Name(slice)), ct);
            }
            catch
            {
                expectations.DeleteFailed(key);
                throw;
            }
        }
    }

    private static Task DeleteAsync(ApiClient api, string path, CancellationToken ct) => api.DeleteAsync(path, new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" }, ct);

    private sealed record Caches(SharedCache Services, SharedCache Pods, SharedCache Endpoints, SharedCache Slices);
}
