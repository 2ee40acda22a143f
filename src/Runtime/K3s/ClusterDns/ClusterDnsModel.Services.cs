using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ClusterDns;

// Indexing one Service: its names, endpoints and reverse names.
internal sealed partial class ClusterDnsModel
{
    private void AddService(JsonObject service, Dictionary<(string, string), List<JsonObject>> slicesByService)
    {
        var ns = service.Obj("metadata").Str("namespace")?.ToLowerInvariant() ?? string.Empty;
        var name = service.Obj("metadata").Str("name")?.ToLowerInvariant() ?? string.Empty;
        if (ns.Length == 0 || name.Length == 0)
        {
            return;
        }

        var spec = service.Obj("spec");
        var fqdn = $"{name}.{ns}.svc.{_domain}";
        var ports = spec.Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>()
            .Where(p => p.Long("port") is > 0 and <= 65535)
            .Select(p => ((p.Str("name") ?? string.Empty).ToLowerInvariant(), (p.Str("protocol") ?? "TCP").ToLowerInvariant(), (int)p.Long("port")!.Value))
            .ToList();
        _namespaces.Add(ns);
        if (spec.Str("type") == "ExternalName")
        {
            _services[$"{name}.{ns}"] = new ServiceEntry(fqdn, spec.Str("externalName")?.TrimEnd('.').ToLowerInvariant(), [], false, ports, []);
            return;
        }

        var clusterIps = ClusterIps(spec);
        var headless = spec.Str("clusterIP") == "None";
        var endpoints = headless ? Endpoints(slicesByService.GetValueOrDefault((ns, name)) ?? [], spec.Bool("publishNotReadyAddresses") == true) : [];
        _services[$"{name}.{ns}"] = new ServiceEntry(fqdn, null, clusterIps, headless, ports, endpoints);
        foreach (var ip in clusterIps)
        {
            _pointers.TryAdd(ReverseName(ip), fqdn);
        }

        foreach (var endpoint in endpoints)
        {
            _pointers.TryAdd(ReverseName(endpoint.Address), $"{endpoint.Label}.{fqdn}");
        }
    }

    private static List<IPAddress> ClusterIps(JsonObject? spec)
    {
        var listed = spec.Arr("clusterIPs").Items().Select(i => JsonFields.AsString(i.Item)).OfType<string>().ToList();
        if (listed.Count == 0 && spec.Str("clusterIP") is { } single)
        {
            listed.Add(single);
        }

        return [.. listed.Select(ip => IPAddress.TryParse(ip, out var a) ? a : null).OfType<IPAddress>().Where(a => a.AddressFamily == AddressFamily.InterNetwork)];
    }

    /// <summary>A headless Service's endpoints: ready ones (a missing condition counts as ready), or all with <c>publishNotReadyAddresses</c>.</summary>
    private static List<Endpoint> Endpoints(List<JsonObject> slices, bool publishNotReady)
    {
        var found = new List<Endpoint>();
        foreach (var slice in slices)
        {
            var ports = slice.Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>()
                .Where(p => p.Long("port") is > 0 and <= 65535)
                .Select(p => ((p.Str("name") ?? string.Empty).ToLowerInvariant(), (p.Str("protocol") ?? "TCP").ToLowerInvariant(), (int)p.Long("port")!.Value))
                .ToList();
            foreach (var endpoint in slice.Arr("endpoints").Items().Select(e => e.Item as JsonObject).OfType<JsonObject>())
            {
                if (!publishNotReady && endpoint.Obj("conditions").Bool("ready") == false)
                {
                    continue;
                }

                var hostname = endpoint.Str("hostname")?.ToLowerInvariant();
                foreach (var text in endpoint.Arr("addresses").Items().Select(a => JsonFields.AsString(a.Item)).OfType<string>())
                {
                    if (IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork)
                    {
                        found.Add(new Endpoint(string.IsNullOrEmpty(hostname) ? Dashed(address) : hostname, address, ports));
                    }
                }
            }
        }

        return [.. found.DistinctBy(e => (e.Label, e.Address)).OrderBy(e => e.Label, StringComparer.Ordinal)];
    }
}
