using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// The agent's health check: <c>GET https://&lt;server&gt;/ping</c> on the supervisor port, healthy when it answers
/// 200 <c>pong</c> within the host's check timeout. The server must present a certificate issued by the cluster CA.
/// The host name is not checked: the address came from the cluster's own list and the check only decides where to
/// send bytes, while the clients behind the balancer verify the server end to end over the proxied TLS.
/// Connections are kept alive between checks, so a round costs one request per server, not a handshake.
/// Thread-safe; dispose it after the host that uses it.
/// </summary>
internal sealed class PingHealthCheck : IDisposable
{
    private readonly HttpClient _client;

    /// <param name="clusterCa">
    /// The server CA; the caller keeps ownership. Null accepts any certificate: a balancer in front of servers whose
    /// CA it does not know yet (the lab's), which only chooses where bytes go while clients verify end to end.
    /// </param>
    public PingHealthCheck(X509Certificate2? clusterCa)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is not null
            && (clusterCa is null
                || ((errors & ~(SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors)) == SslPolicyErrors.None
                    && ClusterCaFetcher.ChainsTo(certificate, clusterCa)));

        // The host bounds each check with its own token; the client adds no timeout of its own.
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = 1024 };
    }

    /// <summary>The <see cref="ServerHealthCheck"/> this instance provides.</summary>
    public ServerHealthCheck Check => CheckAsync;

    public async Task<bool> CheckAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri($"https://{address}/ping"), cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return body.Trim() == "pong";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or UriFormatException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
