using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Tls;

/// <summary>
/// A cluster certificate authority: an ECDSA P-256 self-signed CA that issues serving and client certificates,
/// as k3s's <c>server-ca</c>, <c>client-ca</c> and <c>request-header-ca</c> do. CAs live ten years, leaves one.
/// Not thread-safe for concurrent disposal; issuing from several threads is safe.
/// </summary>
internal sealed class CertificateAuthority : IDisposable
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private readonly TimeProvider _time;

    public CertificateAuthority(X509Certificate2 certificate, TimeProvider? time = null)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("a certificate authority needs its private key", nameof(certificate));
        }

        Certificate = certificate;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Creates a new CA named like k3s's, e.g. <c>k3s-server-ca@1732492800</c>.</summary>
    public static CertificateAuthority Create(string name, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var now = time.GetUtcNow();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName($"{name}@{now.ToUnixTimeSeconds()}");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(CaLifetime));
        return new CertificateAuthority(certificate, time);
    }

    /// <summary>Issues a server certificate for the given DNS names and IP addresses (subject alternative names).</summary>
    public X509Certificate2 IssueServing(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            sans.AddDnsName(dns);
        }

        foreach (var ip in addresses.Distinct())
        {
            sans.AddIpAddress(ip);
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        return Issue(subject.Build(), [Oids.ServerAuth], sans.Build());
    }

    /// <summary>
    /// Issues a certificate for both sides of mutual TLS (etcd's peer and server-client certificates): it serves
    /// the given names and addresses and authenticates its holder when it dials.
    /// </summary>
    public X509Certificate2 IssueServingAndClient(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            sans.AddDnsName(dns);
        }

        foreach (var ip in addresses.Distinct())
        {
            sans.AddIpAddress(ip);
        }

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        return Issue(subject.Build(), [Oids.ServerAuth, Oids.ClientAuth], sans.Build());
    }

    /// <summary>Issues a client certificate: Kubernetes reads the user from CN and the groups from O.</summary>
    public X509Certificate2 IssueClient(string user, IEnumerable<string> groups)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(user);
        foreach (var group in groups)
        {
            subject.AddOrganizationName(group);
        }

        return Issue(subject.Build(), [Oids.ClientAuth], sanExtension: null);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to this CA (and only this CA) and is valid now.</summary>
    public bool Verifies(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == Certificate.Thumbprint;
    }

    public void Dispose() => Certificate.Dispose();

    /// <summary>
    /// Issues a certificate for the public key of a PEM certificate signing request whose signature checks out (the
    /// kubelet certificates of <c>/v1-k3s/*-kubelet.crt</c>). The subject, usages and names are the issuer's choice;
    /// the request contributes only its key. The result has no private key.
    /// </summary>
    /// <exception cref="CryptographicException">The request is not a PEM CSR or its signature does not verify.</exception>
    public X509Certificate2 IssueForRequest(string csrPem, X500DistinguishedName subject, bool serving, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256);
        X509Extension? san = null;
        if (serving)
        {
            var sans = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                sans.AddDnsName(dns);
            }

            foreach (var ip in addresses.Distinct())
            {
                sans.AddIpAddress(ip);
            }

            san = sans.Build();
        }

        return Sign(new CertificateRequest(subject, csr.PublicKey, HashAlgorithmName.SHA256), [serving ? Oids.ServerAuth : Oids.ClientAuth], san);
    }

    private X509Certificate2 Issue(X500DistinguishedName subject, string[] usages, X509Extension? sanExtension)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issued = Sign(new CertificateRequest(subject, key, HashAlgorithmName.SHA256), usages, sanExtension);
        return issued.CopyWithPrivateKey(key);
    }

    private X509Certificate2 Sign(CertificateRequest request, string[] usages, X509Extension? sanExtension)
    {
        var now = _time.GetUtcNow();
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (sanExtension is not null)
        {
            request.CertificateExtensions.Add(sanExtension);
        }

        var notAfter = now.Add(LeafLifetime) < Certificate.NotAfter ? now.Add(LeafLifetime) : new DateTimeOffset(Certificate.NotAfter);
        return request.Create(Certificate, now.AddMinutes(-5), notAfter, RandomSerial());
    }

    private static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    private static class Oids
    {
        public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
        public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    }
}
