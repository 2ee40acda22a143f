using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Proxy;

/// <summary>
/// The pure part of the service proxy: from Services and EndpointSlices as the API serves them to the
/// <see cref="ServicePortRule"/>s to program. It follows kube-proxy's choices: a Service port's endpoints are the
/// addresses of its slices (label <c>kubernetes.io/service-name</c>, address type IPv4) whose slice port has the
/// Service port's name and protocol; ready endpoints (a missing condition counts as ready) when there are any,
/// otherwise those still serving while they terminate. ExternalName and headless Services get nothing; NodePort and
/// LoadBalancer Services get their node ports too, and LoadBalancer Services the addresses of their
/// <c>status.loadBalancer.ingress</c>; every Service its <c>spec.externalIPs</c>; <c>sessionAffinity: ClientIP</c>
/// gives the affinity timeout. IPv6 is not
/// programmed.
/// </summary>
internal static class ProxyModel
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public static IReadOnlyList<ServicePortRule> Build(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices)
    {
        var slicesByService = slices
            .Where(s => s.Str("addressType") is null or "IPv4")
            .GroupBy(s => (s.Obj("metadata").Str("namespace") ?? string.Empty, s.Obj("metadata").Obj("labels").Str(ServiceNameLabel) ?? string.Empty))
            .ToDictionary(g => g.Key, g => g.ToList());
        var rules = new List<ServicePortRule>();
        foreach (var service in services)
        {
            var spec = service.Obj("spec");
            var type = spec.Str("type") ?? "ClusterIP";
            if (type == "ExternalName" || spec.Str("clusterIP") == "None")
            {
                // kube-proxy skips these whole, external IPs and all.
                continue;
            }

            var ns = service.Obj("metadata").Str("namespace") ?? string.Empty;
            var name = service.Obj("metadata").Str("name") ?? string.Empty;
            var clusterIps = ClusterIps(spec);
            var withNodePorts = type is "NodePort" or "LoadBalancer";
            IReadOnlyList<string> loadBalancerIps = type == "LoadBalancer" ? LoadBalancerIps(service) : [];
            var externalIps = Ipv4s(spec.Arr("externalIPs"));
            var mySlices = slicesByService.GetValueOrDefault((ns, name)) ?? [];
            var affinity = AffinitySeconds(spec);
            foreach (var port in spec.Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>())
            {
                var portName = port.Str("name") ?? string.Empty;
                var protocol = port.Str("protocol") ?? "TCP";
                var nodePort = withNodePorts && port.Long("nodePort") is { } np and > 0 ? (int)np : (int?)null;
                if ((clusterIps.Count == 0 && nodePort is null && externalIps.Count == 0) || port.Long("port") is not { } number)
                {
                    continue;
                }

                rules.Add(new ServicePortRule(ns, name, portName, protocol, clusterIps, (int)number, nodePort, Endpoints(mySlices, portName, protocol)) { LoadBalancerIps = loadBalancerIps, ExternalIps = externalIps, AffinitySeconds = affinity });
            }
        }

        return [.. rules.OrderBy(r => r.ServicePortName, StringComparer.Ordinal).ThenBy(r => r.Protocol, StringComparer.Ordinal)];
    }

    /// <summary>kube's default for <c>sessionAffinityConfig.clientIP.timeoutSeconds</c> (3 hours).</summary>
    public const int DefaultAffinitySeconds = 10800;

    private static int? AffinitySeconds(JsonObject? spec) =>
        spec.Str("sessionAffinity") != "ClientIP" ? null
            : spec.Obj("sessionAffinityConfig").Obj("clientIP").Long("timeoutSeconds") is { } seconds and > 0 and <= 86400 ? (int)seconds
            : DefaultAffinitySeconds;

    private static List<string> LoadBalancerIps(JsonObject service) =>
        [.. service.Obj("status").Obj("loadBalancer").Arr("ingress").Items()
            .Select(i => (i.Item as JsonObject).Str("ip"))
            .Where(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork)
            .OfType<string>()
            .Distinct()];

    private static List<string> Ipv4s(JsonArray? list) =>
        [.. list.Items().Select(i => i.Item is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .Where(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork)
            .OfType<string>()
            .Distinct()];

    private static List<string> ClusterIps(JsonObject? spec)
    {
        var listed = spec.Arr("clusterIPs").Items().Select(i => i.Item is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList();
        if (listed.Count == 0 && spec.Str("clusterIP") is { } single)
        {
            listed.Add(single);
        }

        return [.. listed.Where(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork)];
    }

    private static List<ProxyEndpoint> Endpoints(List<JsonObject> slices, string portName, string protocol)
    {
        var ready = new SortedSet<(string Ip, int Port)>();
        var fallback = new SortedSet<(string Ip, int Port)>();
        foreach (var slice in slices)
        {
            var port = slice.Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>()
                .FirstOrDefault(p => (p.Str("name") ?? string.Empty) == portName && (p.Str("protocol") ?? "TCP") == protocol);
            if (port?.Long("port") is not { } number)
            {
                continue;
            }

            foreach (var endpoint in slice.Arr("endpoints").Items().Select(e => e.Item as JsonObject).OfType<JsonObject>())
            {
                var ip = endpoint.Arr("addresses").Items().Select(a => a.Item is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).FirstOrDefault(s => s is not null);
                if (ip is null || !IPAddress.TryParse(ip, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetwork)
                {
                    continue;
                }

                var conditions = endpoint.Obj("conditions");
                var isReady = conditions.Bool("ready") ?? true;
                var serving = conditions.Bool("serving") ?? isReady;
                var terminating = conditions.Bool("terminating") ?? false;
                if (isReady)
                {
                    ready.Add((ip, (int)number));
                }
                else if (serving && terminating)
                {
                    fallback.Add((ip, (int)number));
                }
            }
        }

        return [.. (ready.Count > 0 ? ready : fallback).Select(e => new ProxyEndpoint(e.Ip, e.Port))];
    }
}
