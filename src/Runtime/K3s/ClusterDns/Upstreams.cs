using System.Net;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// The servers the cluster DNS forwards other names to: the nameservers of the server node's <c>/etc/resolv.conf</c>
/// (read as the kubelet reads a node's file, <see cref="PodDns.ParseResolvConf"/>; CoreDNS's
/// <c>forward . /etc/resolv.conf</c>), port 53, leaving out the cluster DNS's own addresses so a node that points at
/// itself cannot loop. Pure.
/// </summary>
internal static class Upstreams
{
    public static IReadOnlyList<IPEndPoint> FromResolvConf(string text, IReadOnlyCollection<IPAddress> own) =>
        [.. PodDns.ParseResolvConf(text).Nameservers
            .Select(address => IPAddress.TryParse(address.Split('%')[0], out var ip) ? ip : null)
            .OfType<IPAddress>()
            .Where(ip => !own.Contains(ip))
            .Distinct()
            .Select(ip => new IPEndPoint(ip, 53))];
}
