using System.Security.Cryptography;
using System.Text;

namespace K3sLab.K3s.Proxy;

/// <summary>
/// kube-proxy's per-service chain names, so <c>iptables-save</c> on a node reads as it does on a kube-proxy node:
/// a prefix and the first 16 characters of the base32 (RFC 4648) of the SHA-256 of the service port's name and
/// protocol (and, for an endpoint's chain, its address).
/// </summary>
internal static class ProxyChainNames
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Service(ServicePortRule rule) => "KUBE-SVC-" + Hash(rule.ServicePortName + rule.Protocol.ToLowerInvariant());

    public static string LocalService(ServicePortRule rule) => "KUBE-SVL-" + Hash(rule.ServicePortName + rule.Protocol.ToLowerInvariant());

    public static string External(ServicePortRule rule) => "KUBE-EXT-" + Hash(rule.ServicePortName + rule.Protocol.ToLowerInvariant());

    public static string Firewall(ServicePortRule rule) => "KUBE-FW-" + Hash(rule.ServicePortName + rule.Protocol.ToLowerInvariant());

    public static string Endpoint(ServicePortRule rule, ProxyEndpoint endpoint) =>
        "KUBE-SEP-" + Hash(rule.ServicePortName + rule.Protocol.ToLowerInvariant() + endpoint);

    /// <summary>Whether a nat chain is one of the per-service chains this proxy writes (and so may delete).</summary>
    public static bool IsPerService(string chain) =>
        chain.StartsWith("KUBE-SVC-", StringComparison.Ordinal) || chain.StartsWith("KUBE-SVL-", StringComparison.Ordinal) || chain.StartsWith("KUBE-SEP-", StringComparison.Ordinal) || chain.StartsWith("KUBE-EXT-", StringComparison.Ordinal) || chain.StartsWith("KUBE-FW-", StringComparison.Ordinal);

    private static string Hash(string text)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var result = new StringBuilder(16);
        int buffer = 0, bits = 0;
        foreach (var b in digest)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5 && result.Length < 16)
            {
                result.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }

            if (result.Length == 16)
            {
                break;
            }
        }

        return result.ToString();
    }
}
