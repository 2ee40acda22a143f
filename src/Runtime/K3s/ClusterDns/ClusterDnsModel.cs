using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// The pure part of the cluster DNS: the names the Services, EndpointSlices and Nodes give, answered as k3s's
/// CoreDNS answers them (its Corefile's <c>kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure }</c> and
/// <c>hosts /etc/coredns/NodeHosts</c>):
/// <list type="bullet">
/// <item><c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>: the cluster IP; for a headless Service the addresses of its ready
/// endpoints (all of them with <c>publishNotReadyAddresses</c>); for an ExternalName Service a CNAME.</item>
/// <item><c>&lt;endpoint&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> for a headless Service's endpoints, by their
/// <c>hostname</c> or their dashed address (<c>10-42-0-5</c>).</item>
/// <item>SRV at <c>_&lt;port&gt;._&lt;proto&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c> (and every named port at the Service's
/// own name), with the targets' addresses in the additional section.</item>
/// <item><c>&lt;a-b-c-d&gt;.&lt;ns&gt;.pod.&lt;domain&gt;</c>: a.b.c.d, unchecked ("pods insecure").</item>
/// <item>PTR for cluster IPs and headless endpoints under <c>in-addr.arpa</c>.</item>
/// <item>Each Node's name: its InternalIP (k3s's NodeHosts).</item>
/// </list>
/// Names of the cluster domain that do not exist get NXDOMAIN; existing names asked for another type get an empty
/// NOERROR; both carry the zone's SOA, whose minimum (5 s) bounds negative caching. Every other name, and reverse
/// names the cluster does not know, are forwarded (<see cref="DnsAnswer.Forward"/>). IPv6 addresses are not served.
/// Immutable; safe to read from any thread.
/// </summary>
internal sealed partial class ClusterDnsModel
{
    /// <summary>The TTL of the cluster's records, CoreDNS's kubernetes plugin default.</summary>
    public const uint Ttl = 5;

    /// <summary>The TTL of node names, CoreDNS's hosts plugin default.</summary>
    public const uint NodeTtl = 3600;

    private readonly string _domain;
    private readonly DnsRecord _soa;
    private readonly Dictionary<string, ServiceEntry> _services = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pointers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPAddress> _nodes = new(StringComparer.Ordinal);

    private ClusterDnsModel(string domain, uint serial)
    {
        _domain = domain.Trim('.').ToLowerInvariant();
        _soa = new DnsRecord(_domain, DnsType.Soa, Ttl, new SoaData($"ns.dns.{_domain}", $"hostmaster.{_domain}", serial, 7200, 1800, 86400, Ttl));
    }

    /// <summary>An endpoint of a headless Service: its DNS label (hostname or dashed address) and address.</summary>
    private sealed record Endpoint(string Label, IPAddress Address, IReadOnlyList<(string Name, string Protocol, int Port)> Ports);

    private sealed record ServiceEntry(string Fqdn, string? ExternalName, IReadOnlyList<IPAddress> ClusterIps, bool Headless, IReadOnlyList<(string Name, string Protocol, int Port)> Ports, IReadOnlyList<Endpoint> Endpoints);

    public static ClusterDnsModel Build(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices, IEnumerable<JsonObject> nodes, string domain, uint serial)
    {
        var model = new ClusterDnsModel(domain, serial);
        var slicesByService = slices
            .Where(s => s.Str("addressType") is null or "IPv4")
            .GroupBy(s => (s.Obj("metadata").Str("namespace") ?? string.Empty, s.Obj("metadata").Obj("labels").Str("kubernetes.io/service-name") ?? string.Empty))
            .ToDictionary(g => g.Key, g => g.ToList());
        foreach (var service in services)
        {
            model.AddService(service, slicesByService);
        }

        foreach (var node in nodes)
        {
            var name = node.Obj("metadata").Str("name")?.ToLowerInvariant();
            var internalIp = node.Obj("status").Arr("addresses").Items().Select(a => a.Item as JsonObject)
                .FirstOrDefault(a => a.Str("type") == "InternalIP").Str("address");
            if (name is { Length: > 0 } && IPAddress.TryParse(internalIp, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork)
            {
                model._nodes[name] = ip;
            }
        }

        return model;
    }

    /// <summary>The answer for <paramref name="name"/> (lowercase, no trailing dot) and type, or <see cref="DnsAnswer.Forward"/>.</summary>
    public DnsAnswer Resolve(string name, ushort type)
    {
        if (name == _domain || name.EndsWith("." + _domain, StringComparison.Ordinal))
        {
            return ResolveInZone(name, type);
        }

        if (name.EndsWith(".in-addr.arpa", StringComparison.Ordinal) && _pointers.TryGetValue(name, out var target))
        {
            return Records(type is DnsType.Ptr or DnsType.Any ? [new DnsRecord(name, DnsType.Ptr, Ttl, target)] : []);
        }

        if (_nodes.TryGetValue(name, out var node))
        {
            return type is DnsType.A or DnsType.Any
                ? new DnsAnswer(DnsType.NoError, [new DnsRecord(name, DnsType.A, NodeTtl, node)], [], null)
                : new DnsAnswer(DnsType.NoError, [], [], null);
        }

        return DnsAnswer.Forward;
    }

    private DnsAnswer ResolveInZone(string name, ushort type)
    {
        var rest = name.Length == _domain.Length ? [] : name[..^(_domain.Length + 1)].Split('.');
        switch (rest)
        {
            case []:
                return type switch
                {
                    DnsType.Soa => Records([_soa]),
                    DnsType.Ns => Records([new DnsRecord(name, DnsType.Ns, Ttl, $"ns.dns.{_domain}")]),
                    _ => Records([]),
                };
            case ["svc"] or ["pod"]:
                return Records([]);
            case [var ns, "svc"]:
                return _namespaces.Contains(ns) ? Records([]) : NameError();
            case [var service, var ns, "svc"] when _services.TryGetValue($"{service}.{ns}", out var entry):
                return ServiceAnswer(name, type, entry);
            case [var label, var service, var ns, "svc"] when _services.TryGetValue($"{service}.{ns}", out var entry)
                && entry.Endpoints.Where(e => e.Label == label).Select(e => e.Address).Distinct().ToList() is { Count: > 0 } addresses:
                return Records(type is DnsType.A or DnsType.Any ? [.. addresses.Select(a => new DnsRecord(name, DnsType.A, Ttl, a))] : []);
            case [var port, var protocol, var service, var ns, "svc"] when port.StartsWith('_') && protocol.StartsWith('_') && _services.TryGetValue($"{service}.{ns}", out var entry):
                return SrvAnswer(name, type, entry, port[1..], protocol[1..]);
            case [var dashed, _, "pod"] when PodAddress(dashed) is { } address:
                return Records(type is DnsType.A or DnsType.Any ? [new DnsRecord(name, DnsType.A, Ttl, address)] : []);
            default:
                return NameError();
        }
    }

    private DnsAnswer ServiceAnswer(string name, ushort type, ServiceEntry entry)
    {
        if (entry.ExternalName is { } external)
        {
            return Records([new DnsRecord(name, DnsType.Cname, Ttl, external)]);
        }

        if (type == DnsType.Srv)
        {
            return SrvAnswer(name, type, entry, port: null, protocol: null);
        }

        if (type is not (DnsType.A or DnsType.Any))
        {
            return Records([]);
        }

        if (!entry.Headless)
        {
            return Records([.. entry.ClusterIps.Select(ip => new DnsRecord(name, DnsType.A, Ttl, ip))]);
        }

        var addresses = entry.Endpoints.Select(e => e.Address).Distinct().ToList();
        return addresses.Count == 0 ? NameError() : Records([.. addresses.Select(a => new DnsRecord(name, DnsType.A, Ttl, a))]);
    }

    private DnsAnswer SrvAnswer(string name, ushort type, ServiceEntry entry, string? port, string? protocol)
    {
        bool Matches((string Name, string Protocol, int Port) p) =>
            p.Name.Length > 0 && (port is null || p.Name == port) && (protocol is null || p.Protocol.Equals(protocol, StringComparison.OrdinalIgnoreCase));

        var targets = new List<(string Target, int Port, IPAddress? Address)>();
        if (entry.Headless)
        {
            targets.AddRange(entry.Endpoints.SelectMany(e => e.Ports.Where(Matches).Select(p => ($"{e.Label}.{entry.Fqdn}", p.Port, (IPAddress?)e.Address))));
        }
        else if (entry.ExternalName is null)
        {
            targets.AddRange(entry.Ports.Where(Matches).Select(p => (entry.Fqdn, p.Port, entry.ClusterIps.FirstOrDefault())));
        }

        if (targets.Count == 0)
        {
            return port is null ? Records([]) : NameError();
        }

        if (type is not (DnsType.Srv or DnsType.Any))
        {
            return Records([]);
        }

        var weight = (ushort)Math.Max(1, 100 / targets.Count);
        var answers = targets.Distinct().Select(t => new DnsRecord(name, DnsType.Srv, Ttl, new SrvData(0, weight, (ushort)t.Port, t.Target))).ToList();
        var additional = targets.Where(t => t.Address is not null).Select(t => (t.Target, t.Address)).Distinct()
            .Select(t => new DnsRecord(t.Target, DnsType.A, Ttl, t.Address!)).ToList();
        return new DnsAnswer(DnsType.NoError, answers, additional, null);
    }

    private DnsAnswer Records(IReadOnlyList<DnsRecord> answers) =>
        new(DnsType.NoError, answers, [], answers.Count == 0 ? _soa : null);

    private DnsAnswer NameError() => new(DnsType.NameError, [], [], _soa);

    private static IPAddress? PodAddress(string dashed) =>
        dashed.Count(c => c == '-') == 3 && IPAddress.TryParse(dashed.Replace('-', '.'), out var ip) && ip.AddressFamily == AddressFamily.InterNetwork ? ip : null;

    private static string Dashed(IPAddress address) => address.ToString().Replace('.', '-');

    private static string ReverseName(IPAddress address) => string.Join('.', address.GetAddressBytes().Reverse()) + ".in-addr.arpa";
}
