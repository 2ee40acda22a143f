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
/// gives the affinity timeout. The endpoints on this node (<c>nodeName</c>) are picked the same way on their own,
/// for <c>externalTrafficPolicy</c> and <c>internalTrafficPolicy</c> <c>Local</c>. IPv6 is not programmed.
/// </summary>
internal static class ProxyModel
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>The rules for <paramref name="services"/> and their <paramref name="slices"/> on the node <paramref name="nodeName"/> (null: no endpoint is local).</summary>
    public static IReadOnlyList<ServicePortRule> Build(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices, string? nodeName = null)
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
            IReadOnlyList<string> sourceRanges = type == "LoadBalancer" ? SourceRanges(service) : [];
            var mySlices = slicesByService.GetValueOrDefault((ns, name)) ?? [];
            var affinity = AffinitySeconds(spec);
            var externalLocal = spec.Str("externalTrafficPolicy") == "Local";
            var internalLocal = spec.Str("internalTrafficPolicy") == "Local";
            var healthPort = type == "LoadBalancer" && externalLocal && spec.Long("healthCheckNodePort") is { } hc and > 0 ? (int)hc : (int?)null;
            foreach (var port in spec.Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>())
            {
                var portName = port.Str("name") ?? string.Empty;
                var protocol = port.Str("protocol") ?? "TCP";
                var nodePort = withNodePorts && port.Long("nodePort") is { } np and > 0 ? (int)np : (int?)null;
                if ((clusterIps.Count == 0 && nodePort is null && externalIps.Count == 0) || port.Long("port") is not { } number)
                {
                    continue;
                }

                var (endpoints, local) = Endpoints(mySlices, portName, protocol, nodeName);
                rules.Add(new ServicePortRule(ns, name, portName, protocol, clusterIps, (int)number, nodePort, endpoints)
                {
                    LoadBalancerIps = loadBalancerIps,
                    SourceRanges = sourceRanges,
                    ExternalIps = externalIps,
                    AffinitySeconds = affinity,
                    LocalEndpoints = local,
                    ExternalLocal = externalLocal,
                    InternalLocal = internalLocal,
                    HealthCheckNodePort = healthPort,
                });
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
        Ipv4s(service.Obj("status").Obj("loadBalancer").Arr("ingress").Items().Select(i => (i.Item as JsonObject).Str("ip")));

    /// <summary>The annotation kube-proxy reads when <c>spec.loadBalancerSourceRanges</c> is empty.</summary>
    public const string SourceRangesAnnotation = ServiceRules.SourceRangesAnnotationKey;

    /// <summary>
    /// <c>spec.loadBalancerSourceRanges</c>, else the annotation's comma-separated list, as IPv4 networks in canonical
    /// form (<c>10.0.0.1/8</c> becomes <c>10.0.0.0/8</c>), read as the API server validated them
    /// (<see cref="LegacyCidr"/>); entries that do not parse and IPv6 ones are left out.
    /// </summary>
    private static List<string> SourceRanges(JsonObject service)
    {
        var listed = Strings(service.Obj("spec").Arr("loadBalancerSourceRanges")).ToList();
        if (listed.Count == 0 && service.Obj("metadata").Obj("annotations").Str(SourceRangesAnnotation) is { Length: > 0 } annotation)
        {
            listed = [.. annotation.Split(',')];
        }

        return [.. listed
            .Select(text => text?.Trim() is { Length: > 0 } trimmed && LegacyCidr.TryParse(trimmed, out var network, out var prefix) && network.AddressFamily == AddressFamily.InterNetwork ? $"{network}/{prefix}" : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)];
    }

    private static List<string> Ipv4s(JsonArray? list) => Ipv4s(Strings(list));

    /// <summary><c>spec.clusterIPs</c>, or the older <c>spec.clusterIP</c> when the list is missing; IPv4 only.</summary>
    private static List<string> ClusterIps(JsonObject? spec)
    {
        var listed = Strings(spec.Arr("clusterIPs")).ToList();
        return Ipv4s(listed.Count > 0 ? listed : [spec.Str("clusterIP")]);
    }

    private static IEnumerable<string?> Strings(JsonArray? list) =>
        list.Items().Select(i => i.Item is JsonValue v && v.TryGetValue<string>(out var s) ? s : null);

    /// <summary>The IPv4 addresses among <paramref name="values"/>, each once, in order; anything else is skipped.</summary>
    private static List<string> Ipv4s(IEnumerable<string?> values) =>
        [.. values.Where(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetwork).OfType<string>().Distinct()];

    /// <summary>The port's endpoints, and those of them on <paramref name="nodeName"/>, each set chosen on its own.</summary>
    private static (List<ProxyEndpoint> All, List<ProxyEndpoint> Local) Endpoints(List<JsonObject> slices, string portName, string protocol, string? nodeName)
    {
        var ready = new SortedSet<(string Ip, int Port)>();
        var fallback = new SortedSet<(string Ip, int Port)>();
        var localReady = new SortedSet<(string Ip, int Port)>();
        var localFallback = new SortedSet<(string Ip, int Port)>();
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
                var local = nodeName is not null && endpoint.Str("nodeName") == nodeName;
                if (isReady)
                {
                    ready.Add((ip, (int)number));
                    if (local)
                    {
                        localReady.Add((ip, (int)number));
                    }
                }
                else if (serving && terminating)
                {
                    fallback.Add((ip, (int)number));
                    if (local)
                    {
                        localFallback.Add((ip, (int)number));
                    }
                }
            }
        }

        return (Chosen(ready, fallback), Chosen(localReady, localFallback));
    }

    private static List<ProxyEndpoint> Chosen(SortedSet<(string Ip, int Port)> ready, SortedSet<(string Ip, int Port)> fallback) =>
        [.. (ready.Count > 0 ? ready : fallback).Select(e => new ProxyEndpoint(e.Ip, e.Port))];
}
