using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.ServiceLb;

/// <summary>
/// The pure part of ServiceLB (k3s's klipper load balancer): which node addresses each LoadBalancer Service gets as
/// its <c>status.loadBalancer.ingress</c>. k3s runs a DaemonSet per Service whose pods bind each Service port as a
/// host port; a Service gets the address of every node where those pods run and are ready. Here the same outcome is
/// computed without the pods:
/// <list type="bullet">
/// <item>Services of type LoadBalancer without <c>spec.loadBalancerClass</c> are served, oldest first (creation time,
/// then namespace/name), as the first DaemonSet to bind a host port keeps it.</item>
/// <item>Candidate nodes: Ready and not being deleted; when any node carries
/// <c>svccontroller.k3s.cattle.io/enablelb=true</c>, only those (k3s's opt-in label).</item>
/// <item>A node is left out for a Service when an older Service already holds one of the same port numbers and
/// protocols there, as a second host port of the same number cannot bind.</item>
/// <item>A node's address is its ExternalIP when it has one, else its InternalIP (IPv4), sorted.</item>
/// <item>Under <c>externalTrafficPolicy: Local</c> only the nodes that run a ready pod endpoint of the Service (by its
/// EndpointSlices' <c>nodeName</c>) are listed, as k3s does: the other nodes' proxies drop such traffic. Its ports are
/// still held on every candidate node, where k3s's DaemonSet pods bind them whether or not an endpoint is local.</item>
/// </list>
/// A Service with no node left gets an empty list: <c>kubectl get svc</c> shows its EXTERNAL-IP as pending.
/// </summary>
internal static class LoadBalancerIngress
{
    public const string EnableLabel = "svccontroller.k3s.cattle.io/enablelb";

    /// <summary>Each served Service's key (<c>ns/name</c>) and addresses.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Compute(IEnumerable<JsonObject> services, IEnumerable<JsonObject> nodes, IEnumerable<JsonObject> endpointSlices)
    {
        var local = LocalEndpoints.ReadyPodNodes(endpointSlices);
        var ready = nodes.Where(n => !ObjectKeys.IsDeleting(n) && PodState.Condition(n, "Ready").Str("status") == "True").ToList();
        if (ready.Any(n => n.Obj("metadata").Obj("labels").Str(EnableLabel) == "true"))
        {
            ready = [.. ready.Where(n => n.Obj("metadata").Obj("labels").Str(EnableLabel) == "true")];
        }

        var addresses = ready.Select(n => (Name: ObjectKeys.Name(n), Address: Address(n))).Where(n => n.Address is not null).ToList();
        var taken = addresses.ToDictionary(n => n.Name, _ => new HashSet<(int, string)>(), StringComparer.Ordinal);
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var service in services.Where(Served).OrderBy(Created, StringComparer.Ordinal).ThenBy(ObjectKeys.Of, StringComparer.Ordinal))
        {
            var ports = service.Obj("spec").Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>()
                .Where(p => p.Long("port") is > 0)
                .Select(p => ((int)p.Long("port")!.Value, p.Str("protocol") ?? "TCP"))
                .ToList();
            var granted = new List<string>();
            var onlyLocal = service.Obj("spec").Str("externalTrafficPolicy") == "Local";
            var withEndpoint = local.GetValueOrDefault(ObjectKeys.Of(service));
            foreach (var (name, address) in addresses)
            {
                if (ports.Any(taken[name].Contains))
                {
                    continue;
                }

                taken[name].UnionWith(ports);
                if (!onlyLocal || withEndpoint?.Contains(name) == true)
                {
                    granted.Add(address!);
                }
            }

            result[ObjectKeys.Of(service)] = [.. granted.Distinct().OrderBy(a => IPAddress.Parse(a).GetAddressBytes(), ByteOrder.Instance)];
        }

        return result;
    }

    /// <summary>Whether ServiceLB serves the Service: type LoadBalancer, no load balancer class, not being deleted.</summary>
    public static bool Served(JsonObject service) =>
        service.Obj("spec").Str("type") == "LoadBalancer" && service.Obj("spec").Str("loadBalancerClass") is null && !ObjectKeys.IsDeleting(service);

    /// <summary>The addresses in the Service's <c>status.loadBalancer.ingress</c>, in order.</summary>
    public static IReadOnlyList<string> Current(JsonObject service) =>
        [.. service.Obj("status").Obj("loadBalancer").Arr("ingress").Items().Select(i => (i.Item as JsonObject).Str("ip")).OfType<string>()];

    private static string Created(JsonObject service) => service.Obj("metadata").Str("creationTimestamp") ?? string.Empty;

    private static string? Address(JsonObject node)
    {
        var listed = node.Obj("status").Arr("addresses").Items().Select(a => a.Item as JsonObject).OfType<JsonObject>().ToList();
        string? Of(string type) => listed.Where(a => a.Str("type") == type).Select(a => a.Str("address"))
            .FirstOrDefault(a => IPAddress.TryParse(a, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork);
        return Of("ExternalIP") ?? Of("InternalIP");
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x!.AsSpan().SequenceCompareTo(y);
    }
}
