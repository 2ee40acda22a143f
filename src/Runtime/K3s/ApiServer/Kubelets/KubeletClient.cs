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
    private readonly X509Certificate2 _clientCertificate;
    private readonly X509Certificate2 _serverCa;

    /// <param name="tunnels">The tunnels of the agents connected to this server.</param>
    /// <param name="clientCertificate">The API server's kubelet client certificate, with its key; the caller keeps ownership.</param>
    /// <param name="serverCa">The server CA kubelet serving certificates chain to; the caller keeps ownership.</param>
    /// <param name="logger">Which way each connection went (debug).</param>
    public KubeletClient(TunnelSessions tunnels, X509Certificate2 clientCertificate, X509Certificate2 serverCa, ILogger logger)
    {
        _tunnels = tunnels;
        _logger = logger;
        _clientCertificate = clientCertificate;
        _serverCa = serverCa;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = ConnectAsync,
        };
        handler.SslOptions.ClientCertificates = [clientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors);
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

    /// <summary>
    /// Opens a TLS connection (HTTP/1.1 by ALPN) to <paramref name="node"/>'s kubelet at <paramref name="host"/>:<paramref name="port"/>
    /// (or through its tunnel), for a request the caller writes itself: the streaming upgrades, whose connection
    /// outlives the HTTP exchange. The caller owns the stream.
    /// </summary>
    /// <exception cref="IOException">The kubelet could not be reached or its certificate is not trusted.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The kubelet could not be reached.</exception>
    public async Task<Stream> OpenAsync(string node, string host, int port, CancellationToken cancellationToken)
    {
        var transport = await DialAsync(node, new DnsEndPoint(host, port), cancellationToken);
        var tls = new SslStream(transport, leaveInnerStreamOpen: false, (_, certificate, _, errors) => Trusted(certificate, errors));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    ClientCertificates = [_clientCertificate],
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                },
                timeout.Token);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();

    private bool Trusted(X509Certificate? certificate, SslPolicyErrors errors) =>
        certificate is not null
        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
        && Agent.ClusterCaFetcher.ChainsTo(certificate, _serverCa);

    private ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        DialAsync(context.InitialRequestMessage.Options.TryGetValue(NodeOption, out var node) ? node : null, context.DnsEndPoint, cancellationToken);

    private async ValueTask<Stream> DialAsync(string? node, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        if (node is not null && _tunnels.Find(node) is { } session)
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

        Log.Direct(_logger, node ?? "unknown", endpoint.ToString());
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
