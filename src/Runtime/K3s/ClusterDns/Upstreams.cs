using System.Net;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// The servers the cluster DNS forwards other names to: the <c>nameserver</c> lines of the server node's
/// <c>/etc/resolv.conf</c> (CoreDNS's <c>forward . /etc/resolv.conf</c>), port 53, leaving out the cluster DNS's own
/// addresses so a node that points at itself cannot loop. Pure.
/// </summary>
internal static class Upstreams
{
    public static IReadOnlyList<IPEndPoint> FromResolvConf(string text, IReadOnlyCollection<IPAddress> own) =>
        [.. text.Split('\n')
            .Select(line => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[0] == "nameserver")
            .Select(words => IPAddress.TryParse(words[1].Split('%')[0], out var ip) ? ip : null)
            .OfType<IPAddress>()
            .Where(ip => !own.Contains(ip))
            .Distinct()
            .Select(ip => new IPEndPoint(ip, 53))];
}
