using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Supervisor;
using K3sLab.K3s.Tunnel;

namespace K3sLab.K3s.ApiServer.Kubelets;

/// <summary>
/// How the API server reaches a node's kubelet API, as kube-apiserver's kubelet client with k3s's egress: through the
/// node's <c>/v1-k3s/connect</c> tunnel to this server when it has one, otherwise directly to the address in the URL
/// (the Node's InternalIP and kubelet port: servers' own kubelets, and agents whose tunnel is down). Either way the
/// connection is TLS with the API server's kubelet client certificate (<c>system:kube-apiserver</c>), and the
/// kubelet's serving certificate must chain to the server CA and name the address dialed. Every request gets its own
/// connection, so a tunnel that comes or goes is used (or not) from the next request on. Thread-safe.
/// </summary>
internal sealed partial class KubeletClient : IDisposable
{
    private static readonly HttpRequestOptionsKey<string> NodeOption = new("k3slab.node");

    private readonly TunnelSessions _tunnels;
    private readonly ILogger _logger;
    private readonly HttpClient _client;

    /// <param name="tunnels">The tunnels of the agents connected to this server.</param>
    /// <param name="clientCertificate">The API server's kubelet client certificate, with its key; the caller keeps ownership.</param>
    /// <param name="serverCa">The server CA kubelet serving certificates chain to; the caller keeps ownership.</param>
    /// <param name="logger">Which way each connection went (debug).</param>
    public KubeletClient(TunnelSessions tunnels, X509Certificate2 clientCertificate, X509Certificate2 serverCa, ILogger logger)
    {
        _tunnels = tunnels;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = ConnectAsync,
        };
        handler.SslOptions.ClientCertificates = [clientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is not null
            && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && Agent.ClusterCaFetcher.ChainsTo(certificate, serverCa);
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Sends <c>GET <paramref name="url"/></c> to <paramref name="node"/>'s kubelet; the body is read as it streams.</summary>
    /// <exception cref="HttpRequestException">The kubelet could not be reached.</exception>
    public async Task<HttpResponseMessage> GetAsync(string node, Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Options.Set(NodeOption, node);
        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.InitialRequestMessage.Options.TryGetValue(NodeOption, out var node) && _tunnels.Find(node) is { } session)
        {
            try
            {
                var stream = await session.OpenAsync(TunnelSession.KubeletTarget, cancellationToken);
                Log.ThroughTunnel(_logger, node);
                return stream;
            }
            catch (TunnelException e)
            {
                Log.TunnelFailed(_logger, node, e.Message);
            }
        }

        Log.Direct(_logger, node ?? "unknown", context.DnsEndPoint.ToString());
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
