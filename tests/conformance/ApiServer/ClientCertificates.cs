using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>Client certificates from a test server's client CA, as an administrator (or k3s for a kubelet) issues them.</summary>
internal static class ClientCertificates
{
    /// <summary>Writes <c>&lt;user&gt;.crt</c> and <c>&lt;user&gt;.key</c> (PEM) for CN=user, O=each group; returns their paths.</summary>
    public static async Task<(string Cert, string Key)> IssueAsync(K3sServerProcess server, string user, string[] groups, CancellationToken ct)
    {
        var tls = Path.Combine(server.DataDir, "server", "tls");
        using var ca = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "client-ca.crt"), Path.Combine(tls, "client-ca.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new StringBuilder($"CN={user}");
        foreach (var group in groups)
        {
            subject.Append($", O={group}");
        }

        var request = new CertificateRequest(subject.ToString(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        var file = user.Replace(':', '_');
        var certPath = Path.Combine(server.Root.FullName, file + ".crt");
        var keyPath = Path.Combine(server.Root.FullName, file + ".key");
        await File.WriteAllTextAsync(certPath, issued.ExportCertificatePem(), ct);
        await File.WriteAllTextAsync(keyPath, key.ExportECPrivateKeyPem(), ct);
        return (certPath, keyPath);
    }

    /// <summary>An HTTPS client with the server's own admin certificate (system:masters).</summary>
    public static HttpClient Admin(K3sServerProcess server)
    {
        var tls = Path.Combine(server.DataDir, "server", "tls");
        return Client(Path.Combine(tls, "client-admin.crt"), Path.Combine(tls, "client-admin.key"));
    }

    /// <summary>An HTTPS client that presents the certificate and trusts any server certificate (tests only).</summary>
    public static HttpClient Client(string cert, string key)
    {
        using var pem = X509Certificate2.CreateFromPemFile(cert, key);
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true, ClientCertificates = [certificate] },
        });
    }
}
