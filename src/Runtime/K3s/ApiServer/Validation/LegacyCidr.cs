using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A CIDR as kube-apiserver reads one in a legacy field such as <c>loadBalancerSourceRanges</c> (Go's sloppy parser):
/// IPv4 as four decimal parts, leading zeros read as decimal (<c>192.012.2.0</c> is 192.12.2.0; .NET's own parser would
/// read them as octal), IPv6 without a zone, and host bits allowed. Pure.
/// </summary>
internal static class LegacyCidr
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="network"/> is its address with the host bits cleared.</summary>
    public static bool TryParse(string text, out IPAddress network, out int prefix)
    {
        network = IPAddress.None;
        prefix = 0;
        if (text.Split('/') is not [var ip, var bits] || bits.Length is 0 or > 3 || !bits.All(char.IsAsciiDigit))
        {
            return false;
        }

        prefix = int.Parse(bits, CultureInfo.InvariantCulture);
        byte[] bytes;
        if (ip.Contains(':', StringComparison.Ordinal))
        {
            if (ip.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(ip, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            bytes = v6.GetAddressBytes();
        }
        else if (ip.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255))
        {
            bytes = [.. parts.Select(p => byte.Parse(p, CultureInfo.InvariantCulture))];
        }
        else
        {
            return false;
        }

        if (prefix > bytes.Length * 8)
        {
            return false;
        }

        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        network = new IPAddress(bytes);
        return true;
    }
}
