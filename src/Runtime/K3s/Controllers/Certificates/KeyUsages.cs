using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// <c>spec.usages</c> to X.509 key usage bits and extended key usage OIDs, as upstream's signing policy maps them
/// (<c>keyUsageDict</c>, <c>extKeyUsageDict</c>); extended usages come out in Go's enum order, without repeats.
/// </summary>
internal static class KeyUsages
{
    private static readonly Dictionary<string, X509KeyUsageFlags> Bits = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        ["digital signature"] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        ["key encipherment"] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    // In Go's x509.ExtKeyUsage order, which is the order the issued extension lists them.
    private static readonly (string Usage, string Oid)[] Extended =
    [
        ("any", "2.5.29.37.0"),
        ("server auth", "1.3.6.1.5.5.7.3.1"),
        ("client auth", "1.3.6.1.5.5.7.3.2"),
        ("code signing", "1.3.6.1.5.5.7.3.3"),
        ("email protection", "1.3.6.1.5.5.7.3.4"),
        ("s/mime", "1.3.6.1.5.5.7.3.4"),
        ("ipsec end system", "1.3.6.1.5.5.7.3.5"),
        ("ipsec tunnel", "1.3.6.1.5.5.7.3.6"),
        ("ipsec user", "1.3.6.1.5.5.7.3.7"),
        ("timestamping", "1.3.6.1.5.5.7.3.8"),
        ("ocsp signing", "1.3.6.1.5.5.7.3.9"),
        ("microsoft sgc", "1.3.6.1.4.1.311.10.3.3"),
        ("netscape sgc", "2.16.840.1.113730.4.1"),
    ];

    /// <summary>The key usage bits and extended key usage OIDs of <paramref name="usages"/>.</summary>
    /// <exception cref="CryptographicException">A usage is not one kube knows (upstream's "unrecognized usage values").</exception>
    public static (X509KeyUsageFlags Bits, IReadOnlyList<string> ExtendedOids) Of(IReadOnlyList<string> usages)
    {
        var bits = X509KeyUsageFlags.None;
        var unrecognized = new List<string>();
        foreach (var usage in usages)
        {
            if (Bits.TryGetValue(usage, out var bit))
            {
                bits |= bit;
            }
            else if (!Extended.Any(e => e.Usage == usage))
            {
                unrecognized.Add(usage);
            }
        }

        if (unrecognized.Count > 0)
        {
            throw new CryptographicException($"unrecognized usage values: [{string.Join(' ', unrecognized.Select(u => $"\"{u}\""))}]");
        }

        var oids = Extended.Where(e => usages.Contains(e.Usage)).Select(e => e.Oid).Distinct(StringComparer.Ordinal).ToList();
        return (bits, oids);
    }
}
