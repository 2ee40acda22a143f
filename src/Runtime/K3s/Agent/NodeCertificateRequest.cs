using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Agent;

/// <summary>
/// The agent's side of k3s's kubelet certificates: a P-256 key kept in <c>agent/&lt;name&gt;.key</c> (reused across
/// restarts, as k3s reuses its keys), a PEM CSR for it, and the answer (the issued certificate followed by its CA)
/// written to <c>agent/&lt;name&gt;.crt</c> and loaded with the key for use as a TLS client or server certificate.
/// </summary>
internal static class NodeCertificateRequest
{
    /// <summary>The key for <paramref name="name"/> (e.g. <c>client-kubelet</c>), created on first use.</summary>
    public static ECDsa Key(string agentDirectory, string name)
    {
        var path = Path.Combine(agentDirectory, name + ".key");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            try
            {
                key.ImportFromPem(File.ReadAllText(path));
                return key;
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                // A damaged key is replaced: the certificate is issued anew for whatever key we present.
            }
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        AtomicFile.Write(path, key.ExportECPrivateKeyPem());
        return key;
    }

    /// <summary>A PEM certificate signing request for <paramref name="key"/>; the server sets the subject it issues.</summary>
    public static string Csr(ECDsa key, string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return new CertificateRequest(builder.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }

    /// <summary>
    /// Saves the server's answer as <c>agent/&lt;name&gt;.crt</c> and returns the first certificate with its key.
    /// </summary>
    /// <exception cref="BootstrapException">The answer holds no certificate for this key.</exception>
    public static X509Certificate2 Accept(string agentDirectory, string name, ECDsa key, string responsePem, Uri server)
    {
        X509Certificate2 issued;
        try
        {
            issued = X509Certificate2.CreateFromPem(responsePem);
        }
        catch (CryptographicException e)
        {
            throw new BootstrapException($"{server} answered the {name} certificate request with something that is not a PEM certificate: {e.Message}");
        }

        using (issued)
        {
            using var publicKey = issued.GetECDsaPublicKey();
            if (publicKey is null || !publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new BootstrapException($"{server} answered the {name} certificate request with a certificate for another key");
            }

            AtomicFile.Write(Path.Combine(agentDirectory, name + ".crt"), responsePem, AtomicFile.WorldReadable);
            using var withKey = issued.CopyWithPrivateKey(key);

            // Round-trip through PKCS#12 so the private key is usable by SslStream on Linux.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    /// <summary>
    /// Obtains the kubelet's client (<c>system:node:&lt;node&gt;</c>) or serving certificate from the supervisor, proving
    /// the node name with the node password: key, CSR, request, <see cref="Accept"/>. Shared by <c>k3s agent</c> and
    /// the hollow nodes, which join the same way.
    /// </summary>
    public static async Task<X509Certificate2> RequestAsync(SupervisorClient supervisor, Uri server, string agentDirectory, string nodeName, string nodeIps, string password, bool serving, CancellationToken cancellationToken)
    {
        var name = serving ? "serving-kubelet" : "client-kubelet";
        using var key = Key(agentDirectory, name);
        var csr = Csr(key, serving ? nodeName : "system:node:" + nodeName);
        var pem = await supervisor.KubeletCertificateAsync(serving, csr, nodeName, password, nodeIps, cancellationToken);
        return Accept(agentDirectory, name, key, pem, server);
    }

    /// <summary>The CA that followed the issued certificate in the saved answer <c>agent/&lt;name&gt;.crt</c> (for <c>client-kubelet</c>, the client CA).</summary>
    /// <exception cref="BootstrapException">The file holds no CA certificate.</exception>
    public static X509Certificate2 IssuerOf(string agentDirectory, string name)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(File.ReadAllText(Path.Combine(agentDirectory, name + ".crt")));
        X509Certificate2? ca = null;
        foreach (var certificate in all)
        {
            if (ca is null && certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
            {
                ca = certificate;
            }
            else
            {
                certificate.Dispose();
            }
        }

        return ca ?? throw new BootstrapException($"agent/{name}.crt holds no CA certificate after the issued one");
    }
}
