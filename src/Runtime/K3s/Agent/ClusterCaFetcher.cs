using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Agent;

/// <summary>
/// How a joining node learns to trust a server, in k3s's order: fetch <c>/cacerts</c> with normal verification; if
/// the system does not trust the server, fetch it again without verification and check the bytes against the CA
/// hash in the token; then fetch once more, verifying the server against the CA just obtained. A short token has
/// no hash, so the node trusts what it got (k3s warns, and so does the caller).
/// </summary>
internal static class ClusterCaFetcher
{
    /// <summary>Returns the cluster CA bundle (PEM bytes, as served).</summary>
    /// <exception cref="ServerNotReadyException">The server did not answer (or answered with a certificate the CA did not issue).</exception>
    /// <exception cref="BootstrapException">The URL is not https, or the CA does not match the token.</exception>
    public static async Task<byte[]> FetchAsync(Uri server, JoinToken token, CancellationToken cancellationToken)
    {
        if (server.Scheme != Uri.UriSchemeHttps)
        {
            throw new BootstrapException("only https:// URLs are supported");
        }

        var cacerts = new Uri(server, "/cacerts");
        if (await TryGetAsync(cacerts, validation: null, cancellationToken) is { } systemTrusted)
        {
            return systemTrusted;
        }

        var unverified = await TryGetAsync(cacerts, (_, _, _, _) => true, cancellationToken)
            ?? throw new ServerNotReadyException($"failed to get CA certs: {cacerts} did not answer");
        if (!token.Trusts(unverified))
        {
            throw new BootstrapException($"token CA hash does not match the Cluster CA certificate hash: {token.CaHash} != {JoinToken.CaHashOf(unverified)}");
        }

        var ca = X509CertificateLoader.LoadCertificate(unverified);
        var verified = await TryGetAsync(cacerts, (_, certificate, _, _) => certificate is not null && ChainsTo(certificate, ca), cancellationToken)
            ?? throw new ServerNotReadyException($"the server at {server} did not answer /cacerts with a certificate signed by the cluster CA it serves");
        return verified;
    }

    /// <summary>Whether <paramref name="certificate"/> is issued by <paramref name="ca"/> (the only trust anchor).</summary>
    internal static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    private static async Task<byte[]?> TryGetAsync(Uri url, RemoteCertificateValidationCallback? validation, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (validation is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validation;
        }

        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync(cancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
