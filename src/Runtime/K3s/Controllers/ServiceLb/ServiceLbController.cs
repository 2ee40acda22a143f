using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.ServiceLb;

/// <summary>
/// k3s's ServiceLB controller: keeps every LoadBalancer Service's <c>status.loadBalancer.ingress</c> equal to
/// <see cref="LoadBalancerIngress"/> over the current Services, Nodes and EndpointSlices, and records k3s's
/// <c>UpdatedLoadBalancer</c> event when it changes (<c>UnAvailableLoadBalancer</c>, a warning, when a Service it serves
/// is left with no node). The node service proxies then route the Service's ports on those node addresses
/// (<c>docs/service-proxy.md</c>), where k3s's per-node svclb pods would forward them. Port conflicts span
/// Services, so every change reconciles all of them, one pass at a time. <c>--disable servicelb</c> leaves it out.
/// </summary>
internal sealed class ServiceLbController : IController
{
    private const string All = "*";

    public string Name => "servicelb";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var services = await context.Caches.GetAsync(ApiPaths.Services, ct);
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        var slices = await context.Caches.GetAsync(ApiPaths.EndpointSlices, ct);
        using var onService = services.Subscribe((_, _) => queue.Add(All));
        using var onNode = nodes.Subscribe((before, after) =>
        {
            // A heartbeat changes nothing ServiceLB reads; readiness and addresses do.
            if (before is null || after is null || Facts(before) != Facts(after))
            {
                queue.Add(All);
            }
        });
        using var onSlice = slices.Subscribe((before, after) =>
        {
            // Only the nodes of ready pod endpoints matter (externalTrafficPolicy: Local lists those alone).
            if (before is null || after is null || LocalEndpoints.Facts(before) != LocalEndpoints.Facts(after))
            {
                queue.Add(All);
            }
        });
        queue.Add(All);
        await ReconcileLoop.RunAsync(Name, queue, (_, token) => ReconcileAsync(context, services.Items.Values, nodes.Items.Values, slices.Items.Values, token), 1, context.Loggers.CreateLogger("k3s.controllers.servicelb"), ct);
    }

    private static string Facts(JsonObject node) =>
        $"{PodState.Condition(node, "Ready").Str("status")}|{node.Obj("status").Arr("addresses")?.ToJsonString()}|{node.Obj("metadata").Obj("labels").Str(LoadBalancerIngress.EnableLabel)}|{ObjectKeys.IsDeleting(node)}";

    private static async Task ReconcileAsync(ControllerContext context, IEnumerable<JsonObject> services, IEnumerable<JsonObject> nodes, IEnumerable<JsonObject> slices, CancellationToken ct)
    {
        var all = services.ToList();
        var wanted = LoadBalancerIngress.Compute(all, nodes, slices);
        foreach (var service in all)
        {
            var key = ObjectKeys.Of(service);
            var current = LoadBalancerIngress.Current(service);
            // A Service that stopped being a LoadBalancer keeps no address of ours.
            var target = wanted.TryGetValue(key, out var addresses) ? addresses
                : service.Obj("spec").Str("loadBalancerClass") is null && current.Count > 0 ? [] : null;
            if (target is null || current.SequenceEqual(target))
            {
                continue;
            }

            var updated = (JsonObject)service.DeepClone();
            var status = updated["status"] as JsonObject ?? [];
            status["loadBalancer"] = target.Count == 0
                ? new JsonObject()
                : new JsonObject { ["ingress"] = new JsonArray([.. target.Select(ip => (JsonNode)new JsonObject { ["ip"] = ip, ["ipMode"] = "VIP" })]) };
            updated["status"] = status;

            // A 409 (the Service changed meanwhile) is retried by the loop from the fresher cache.
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.Services, ObjectKeys.Namespace(service), ObjectKeys.Name(service), "status"), updated, ct);
            if (target.Count > 0)
            {
                context.Events.Record(service, "v1", "Service", "service-lb-controller", "Normal", "UpdatedLoadBalancer", $"Updated load balancer with new IPs: [{string.Join(' ', current)}] -> [{string.Join(' ', target)}]");
            }
            else if (LoadBalancerIngress.Served(service))
            {
                context.Events.Record(service, "v1", "Service", "service-lb-controller", "Warning", "UnAvailableLoadBalancer", "There are no available nodes for LoadBalancer");
            }
            else
            {
                context.Events.Record(service, "v1", "Service", "service-lb-controller", "Normal", "UpdatedLoadBalancer", "Removed the load balancer addresses");
            }
        }
    }
}
