using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.Perf.Api;

/// <summary>
/// HTTPS clients of the server authenticated with its admin client certificate, trusting only its server CA. Each
/// client has its own handler, so its own connections: clients are spread over them the way separate client-go
/// processes would hold theirs. HTTP/2 (exact, as client-go negotiates it) unless told HTTP/1.1; a handler opens a
/// further HTTP/2 connection when the server's stream limit on one is reached.
/// </summary>
internal sealed class AdminConnections : IDisposable
{
    private readonly List<HttpClient> _clients = [];
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;

    /// <param name="server">The target, whose certificates the clients use.</param>
    /// <param name="count">Clients, each with its own connections.</param>
    /// <param name="version">HTTP/2 or HTTP/1.1, exactly.</param>
    /// <param name="timeout">A bound on each whole request (HttpClient.Timeout), or infinite for watches.</param>
    public AdminConnections(IApiTarget server, int count, Version version, TimeSpan timeout)
    {
        _certificate = server.LoadClientCertificate();
        _ca = server.LoadCa();
        for (var i = 0; i < count; i++)
        {
            _clients.Add(Create(server.BaseAddress, version, timeout));
        }
    }

    public int Count => _clients.Count;

    public HttpClient this[int index] => _clients[index % _clients.Count];

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _certificate.Dispose();
        _ca.Dispose();
    }

    private HttpClient Create(Uri baseAddress, Version version, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [_certificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && Trusted(certificate),
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout,
        };
    }

    private bool Trusted(X509Certificate certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
