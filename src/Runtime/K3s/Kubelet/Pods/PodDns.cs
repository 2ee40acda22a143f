using System.Net;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Forms a pod's resolver configuration as the kubelet's <c>dns.go</c> does, from the pod's <c>dnsPolicy</c>,
/// <c>hostNetwork</c> and <c>dnsConfig</c>, the node's resolv.conf and the cluster DNS address and domain:
/// <c>ClusterFirst</c> (the API server's default) gives the cluster DNS server as the only nameserver, the search
/// paths <c>&lt;ns&gt;.svc.&lt;domain&gt;</c>, <c>svc.&lt;domain&gt;</c>, <c>&lt;domain&gt;</c> followed by the node's,
/// and <c>ndots:5</c>; a <c>hostNetwork</c> pod's <c>ClusterFirst</c> is <c>Default</c>, while
/// <c>ClusterFirstWithHostNet</c> is the cluster configuration either way; <c>Default</c> is the node's file;
/// <c>None</c> starts empty. Without a cluster DNS address the cluster policies fall back to <c>Default</c> with the
/// kubelet's <c>MissingClusterDNS</c> warning. The pod's <c>dnsConfig</c> is then merged in, and the result cut to
/// glibc's limits (3 nameservers, 32 search paths, 2048 characters of search line) with the kubelet's
/// <c>DNSConfigForming</c> warning. Pure.
/// </summary>
internal static class PodDns
{
    /// <summary>Where a container's resolver file is.</summary>
    public const string ContainerPath = "/etc/resolv.conf";

    /// <summary>At most this many nameservers (glibc's <c>MAXNS</c>).</summary>
    public const int MaxNameservers = 3;

    /// <summary>At most this many search paths.</summary>
    public const int MaxSearchPaths = 32;

    /// <summary>At most this many characters in the search line (the paths joined by spaces).</summary>
    public const int MaxSearchListChars = 2048;

    private static readonly string[] ClusterOptions = ["ndots:5"];

    /// <summary>
    /// The DNS configuration of <paramref name="pod"/> on a node whose resolv.conf reads
    /// <paramref name="nodeResolvConf"/>, with <paramref name="clusterDns"/> (null: none) in
    /// <paramref name="clusterDomain"/>; its warnings are what the kubelet records as Warning events on the pod.
    /// </summary>
    public static PodDnsConfig Form(JsonObject pod, string nodeResolvConf, IPAddress? clusterDns, string clusterDomain)
    {
        var spec = pod["spec"] as JsonObject;
        var policy = String(spec?["dnsPolicy"]) ?? string.Empty;
        var hostNetwork = spec?["hostNetwork"] is JsonValue h && h.TryGetValue<bool>(out var host) && host;
        var warnings = new List<PodDnsWarning>();
        var node = ParseResolvConf(nodeResolvConf);
        List<string> nameservers = [], searches = [], options = [];

        // An unknown policy (the API server rejects them) is ClusterFirst, as the kubelet falls back.
        var cluster = policy switch
        {
            "None" or "Default" => false,
            "ClusterFirst" or "" => !hostNetwork,
            _ => true,
        };
        if (policy != "None")
        {
            if (cluster && clusterDns is not null)
            {
                nameservers.Add(clusterDns.ToString());
                searches.AddRange(Distinct(ClusterSearches(Namespace(pod), clusterDomain).Concat(node.Searches)));
                options.AddRange(ClusterOptions);
            }
            else
            {
                if (cluster)
                {
                    warnings.Add(new PodDnsWarning(PodDnsWarning.MissingClusterDns, $"pod: \"{PodName(pod)}\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy."));
                }

                nameservers.AddRange(node.Nameservers);
                searches.AddRange(node.Searches);
                options.AddRange(node.Options);
            }
        }

        if (spec?["dnsConfig"] is JsonObject dnsConfig)
        {
            nameservers = Distinct(nameservers.Concat(Strings(dnsConfig["nameservers"])));
            searches = Distinct(searches.Concat(Strings(dnsConfig["searches"])));
            options = MergeOptions(options, (dnsConfig["options"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(o => (String(o["name"]) ?? string.Empty, String(o["value"]) ?? string.Empty)));
        }

        if (nameservers.Count > MaxNameservers)
        {
            nameservers = nameservers.GetRange(0, MaxNameservers);
            warnings.Add(new PodDnsWarning(PodDnsWarning.DnsConfigForming, $"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: {string.Join(' ', nameservers)}"));
        }

        if (FitSearches(searches))
        {
            warnings.Add(new PodDnsWarning(PodDnsWarning.DnsConfigForming, $"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(' ', searches)}"));
        }

        return new PodDnsConfig(nameservers, searches, options, warnings);
    }

    /// <summary>
    /// A node's resolv.conf: every <c>nameserver</c>, the last <c>search</c> line's paths (a trailing dot dropped, so
    /// <c>a.</c> and <c>a</c> count once; or, with no <c>search</c> line, the last <c>domain</c>), and the
    /// <c>options</c> of every line, a later one replacing an earlier one of the same name. <c>#</c> and <c>;</c>
    /// start comments.
    /// </summary>
    public static PodDnsConfig ParseResolvConf(string text)
    {
        List<string> nameservers = [], options = [];
        List<string>? searches = null;
        string? domain = null;
        foreach (var raw in text.Split('\n'))
        {
            var comment = raw.IndexOfAny(['#', ';']);
            var fields = (comment < 0 ? raw : raw[..comment]).Split([' ', '\t', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries);
            switch (fields)
            {
                case ["nameserver", var address, ..]:
                    nameservers.Add(address);
                    break;
                case ["search", .. var paths]:
                    searches = [.. paths.Where(p => p != ".").Select(p => p.TrimEnd('.'))];
                    break;
                case ["domain", var name, ..]:
                    domain = name.TrimEnd('.');
                    break;
                case ["options", .. var named]:
                    options = MergeOptions(options, named.Select(SplitOption));
                    break;
            }
        }

        return new PodDnsConfig(nameservers, searches ?? (domain is { Length: > 0 } ? [domain] : []), options, []);
    }

    /// <summary>
    /// A container's mounts with the pod's resolv.conf (<paramref name="resolvConf"/>, a file of the node; null: none)
    /// added at <see cref="ContainerPath"/>, writable as containerd mounts it, unless one of the container's own
    /// volumes is mounted there already, which containerd leaves in place.
    /// </summary>
    public static List<VolumeMount> ContainerMounts(IReadOnlyList<VolumeMount> volumes, string? resolvConf) =>
        resolvConf is null || volumes.Any(v => v.Target.TrimEnd('/') == ContainerPath)
            ? [.. volumes]
            : [.. volumes, new VolumeMount(resolvConf, ContainerPath, ReadOnly: false)];

    private static IEnumerable<string> ClusterSearches(string ns, string domain) =>
        domain.Length == 0 ? [] : [$"{ns}.svc.{domain}", $"svc.{domain}", domain];

    /// <summary>Cuts <paramref name="searches"/> to the limits, from the end; true when something was cut.</summary>
    private static bool FitSearches(List<string> searches)
    {
        var cut = false;
        if (searches.Count > MaxSearchPaths)
        {
            searches.RemoveRange(MaxSearchPaths, searches.Count - MaxSearchPaths);
            cut = true;
        }

        while (searches.Count > 0 && searches.Sum(s => s.Length + 1) - 1 > MaxSearchListChars)
        {
            searches.RemoveAt(searches.Count - 1);
            cut = true;
        }

        return cut;
    }

    /// <summary>
    /// Options merged by name, each <c>name:value</c> or a bare <c>name</c>: one of <paramref name="added"/> replaces
    /// one of the same name where it stood, a new name comes at the end.
    /// </summary>
    private static List<string> MergeOptions(List<string> existing, IEnumerable<(string Name, string Value)> added)
    {
        var merged = existing.Select(SplitOption).ToList();
        foreach (var option in added.Where(o => o.Name.Length > 0))
        {
            var at = merged.FindIndex(o => o.Name == option.Name);
            if (at < 0)
            {
                merged.Add(option);
            }
            else
            {
                merged[at] = option;
            }
        }

        return [.. merged.Select(o => o.Value.Length == 0 ? o.Name : $"{o.Name}:{o.Value}")];
    }

    private static (string Name, string Value) SplitOption(string option) =>
        option.IndexOf(':', StringComparison.Ordinal) is >= 0 and var colon ? (option[..colon], option[(colon + 1)..]) : (option, string.Empty);

    private static List<string> Distinct(IEnumerable<string> items) => [.. items.Distinct(StringComparer.Ordinal)];

    private static IEnumerable<string> Strings(JsonNode? array) =>
        (array as JsonArray ?? []).Select(String).OfType<string>();

    private static string? String(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Namespace(JsonObject pod) => String(pod["metadata"]?["namespace"]) ?? "default";

    /// <summary>The pod as the kubelet's messages name it: <c>name_namespace(uid)</c>.</summary>
    private static string PodName(JsonObject pod) =>
        $"{String(pod["metadata"]?["name"])}_{Namespace(pod)}({String(pod["metadata"]?["uid"])})";
}
