namespace K3sLab.K3s.Proxy;

/// <summary>
/// Which UDP connection-tracking entries a rules change leaves pointing the wrong way, as kube-proxy clears them. A UDP
/// "connection" that was sent to an endpoint keeps that endpoint for as long as its conntrack entry lives (30 s
/// unanswered, 120 s once answered), whatever the rules say now. A DNS client that reuses a source port, or one that
/// never changes it, would go on asking a dead server. Pure: the proxy runs <c>conntrack -D</c> for each result.
/// </summary>
internal static class StaleUdpFlows
{
    /// <summary>
    /// The flows to delete after the rules went from <paramref name="before"/> to <paramref name="after"/>: for every
    /// UDP Service port, each endpoint address that left it, on each of its cluster IPs, load balancer addresses and
    /// its node port; and a port whose cluster IPs had no endpoint to go to and now have one (under its internal
    /// traffic policy), whose earlier flows were refused or dropped and not translated, on each of its cluster IPs.
    /// </summary>
    public static IReadOnlyList<ConntrackFlow> Find(IReadOnlyList<ServicePortRule> before, IReadOnlyList<ServicePortRule> after)
    {
        var now = after.Where(IsUdp).ToDictionary(Key);
        var flows = new List<ConntrackFlow>();
        foreach (var old in before.Where(IsUdp))
        {
            var current = now.GetValueOrDefault(Key(old));
            var kept = current?.Endpoints.Concat(current.LocalEndpoints).Select(e => e.Ip).ToHashSet(StringComparer.Ordinal) ?? [];
            foreach (var gone in old.Endpoints.Concat(old.LocalEndpoints).Select(e => e.Ip).Distinct(StringComparer.Ordinal).Where(ip => !kept.Contains(ip)))
            {
                flows.AddRange(old.ClusterIps.Concat(old.LoadBalancerIps).Concat(old.ExternalIps).Distinct().Select(ip => new ConntrackFlow(ip, old.Port, gone)));
                if (old.NodePort is { } nodePort)
                {
                    flows.Add(new ConntrackFlow(null, nodePort, gone));
                }
            }

            if (!old.HasInternalEndpoints && current is { HasInternalEndpoints: true })
            {
                flows.AddRange(current.ClusterIps.Select(ip => new ConntrackFlow(ip, current.Port, null)));
            }
        }

        return [.. flows.Distinct()];
    }

    private static bool IsUdp(ServicePortRule rule) => rule.Protocol == "UDP";

    private static (string, string) Key(ServicePortRule rule) => (rule.ServicePortName, string.Join(',', rule.ClusterIps));
}

/// <summary>
/// UDP flows to forget: sent to <see cref="Destination"/> (any address when null, for a node port) on
/// <see cref="Port"/>, and answered by <see cref="Endpoint"/> (any when null).
/// </summary>
internal sealed record ConntrackFlow(string? Destination, int Port, string? Endpoint)
{
    /// <summary>The arguments of <c>conntrack</c> that delete these flows.</summary>
    public IReadOnlyList<string> DeleteArguments() =>
    [
        "-D", "-p", "udp",
        .. Destination is null ? Array.Empty<string>() : ["--orig-dst", Destination],
        "--dport", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. Endpoint is null ? Array.Empty<string>() : ["--reply-src", Endpoint],
    ];

    public override string ToString() => $"udp {Destination ?? "*"}:{Port} -> {Endpoint ?? "*"}";
}
