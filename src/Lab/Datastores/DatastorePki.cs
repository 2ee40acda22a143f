using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.Lab.Datastores;

/// <summary>A certificate and its private key, both PEM.</summary>
/// <param name="CertificatePem">The certificate.</param>
/// <param name="KeyPem">The PKCS#8 private key.</param>
public sealed record PemPair(string CertificatePem, string KeyPem);

/// <summary>
/// The TLS material of a lab's external etcd cluster, made with .NET's <see cref="CertificateRequest"/>: one CA, one
/// certificate per member that serves clients and peers and authenticates to peers (its container name,
/// <c>localhost</c>, its address and 127.0.0.1 as names), and one client certificate the k3s servers and the lab's
/// etcdctl present. ECDSA P-256, valid from an hour before <c>now</c> for a year.
/// </summary>
public sealed record DatastorePki(PemPair Ca, IReadOnlyDictionary<string, PemPair> Members, PemPair Client)
{
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    /// <summary>The common name of the client certificate.</summary>
    public const string ClientName = "k3slab-datastore-client";

    /// <summary>Makes the CA and every certificate. <paramref name="members"/> are (container name, address).</summary>
    public static DatastorePki Create(string cluster, IReadOnlyList<(string Name, IPAddress Address)> members, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=k3slab-{cluster}-datastore-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var ca = caRequest.CreateSelfSigned(now - Backdate, now + Validity + Backdate);

        var issued = members.ToDictionary(
            m => m.Name,
            m => Issue(ca, m.Name, [m.Name, "localhost"], [m.Address, IPAddress.Loopback], serverAuth: true, now),
            StringComparer.Ordinal);
        var client = Issue(ca, ClientName, [], [], serverAuth: false, now);
        return new DatastorePki(new PemPair(ca.ExportCertificatePem(), caKey.ExportPkcs8PrivateKeyPem()), issued, client);
    }

    private static PemPair Issue(X509Certificate2 ca, string name, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, bool serverAuth, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") };
        if (serverAuth)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (dnsNames.Count + addresses.Count > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                names.AddDnsName(dns);
            }

            foreach (var address in addresses)
            {
                names.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(ca, now - Backdate, now + Validity, serial);
        return new PemPair(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
