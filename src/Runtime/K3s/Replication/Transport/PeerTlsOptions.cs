using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// Mutual TLS between members (etcd's <c>--peer-cert-file</c>, <c>--peer-key-file</c>, <c>--peer-trusted-ca-file</c>
/// with <c>--peer-client-cert-auth</c>): one certificate serves the peer port and authenticates this member when it
/// dials others; both sides accept only certificates issued by <see cref="TrustedCa"/>.
/// </summary>
internal sealed class PeerTlsOptions(X509Certificate2 certificate, X509Certificate2 trustedCa)
{
    /// <summary>This member's certificate with its private key (server and client authentication).</summary>
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>The peer CA: the only issuer trusted on either side.</summary>
    public X509Certificate2 TrustedCa { get; } = trustedCa;

    /// <summary>Loads PEM files, as etcd's flags name them.</summary>
    public static PeerTlsOptions FromPemFiles(string certFile, string keyFile, string caFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Kestrel and SslStream on Linux want a certificate whose key is not ephemeral.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        return new PeerTlsOptions(certificate, X509CertificateLoader.LoadCertificateFromFile(caFile));
    }

    /// <summary>True when <paramref name="certificate"/> chains to <see cref="TrustedCa"/> alone (no system roots).</summary>
    public bool IsTrusted(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TrustedCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    /// <summary>Client-side TLS for dialing a peer: present our certificate, trust only the peer CA.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = [Certificate],
        // Members dial each other by the address in the peer URL; the CA, not the name, is what vouches for a peer.
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            (errors & ~(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)) == 0 && IsTrusted(certificate),
    };
}
