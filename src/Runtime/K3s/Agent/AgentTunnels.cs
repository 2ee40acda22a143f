using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tunnel;

namespace K3sLab.K3s.Agent;

/// <summary>
/// The agent's side of <c>/v1-k3s/connect</c>: one WebSocket tunnel to every server in the load balancer's list, as
/// k3s keeps one per server, each authenticated with the kubelet's <c>system:node:&lt;name&gt;</c> certificate. Over
/// a tunnel a server opens streams to target <see cref="TunnelSession.KubeletTarget"/>, which this side connects to
/// its own kubelet API; no other target is dialed. A tunnel that fails or ends is dialed again after 3 s, and the list
/// is compared with the balancer's every 3 s, so servers that join get a tunnel and removed ones lose theirs.
/// </summary>
/// <remarks>
/// The server's certificate must chain to the cluster CA; its name is not checked, as for the balancer's health
/// check: the addresses come from the cluster's own list. One loop per server; the set of loops is owned by the
/// reconcile loop. Dispose to close every tunnel.
/// </remarks>
internal sealed partial class AgentTunnels : IAsyncDisposable
{
    /// <summary>k3s's reconnect delay.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(3);

    private readonly Func<IReadOnlyList<string>> _servers;
    private readonly Action<string> _closed;
    private readonly X509Certificate2 _client;
    private readonly X509Certificate2 _ca;
    private readonly IPEndPoint _kubelet;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, (CancellationTokenSource Stop, Task Loop)> _tunnels = new(StringComparer.Ordinal);
    private readonly Task _reconcile;

    /// <param name="servers">The balancer's current server list (host:port).</param>
    /// <param name="client">The kubelet's client certificate with its key; the caller keeps ownership.</param>
    /// <param name="ca">The cluster (server) CA; the caller keeps ownership.</param>
    /// <param name="kubelet">Where this node's kubelet API answers locally.</param>
    /// <param name="closed">
    /// Called with a server's address when its tunnel ends after it had connected, unless this side is stopping it:
    /// the balancer fails that server at once (<see cref="LoadBalancer.LoadBalancerHost.ReportTunnelClosed"/>).
    /// </param>
    /// <param name="time">The clock for the delays.</param>
    /// <param name="logger">Connection events, in k3s's words.</param>
    public AgentTunnels(Func<IReadOnlyList<string>> servers, X509Certificate2 client, X509Certificate2 ca, IPEndPoint kubelet, Action<string> closed, TimeProvider time, ILogger logger)
    {
        _servers = servers;
        _closed = closed;
        _client = client;
        _ca = ca;
        _kubelet = kubelet;
        _time = time;
        _logger = logger;
        _reconcile = Task.Run(() => ReconcileLoopAsync(_stop.Token));
    }

    /// <summary>The servers a tunnel loop runs for now.</summary>
    public IReadOnlyList<string> Servers
    {
        get
        {
            lock (_tunnels)
            {
                return [.. _tunnels.Keys];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reconcile;
        List<Task> loops;
        lock (_tunnels)
        {
            loops = [.. _tunnels.Values.Select(t => t.Loop)];
            foreach (var tunnel in _tunnels.Values)
            {
                tunnel.Stop.Cancel();
            }
        }

        await Task.WhenAll(loops);
        _stop.Dispose();
    }

    private async Task ReconcileLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var wanted = _servers().ToHashSet(StringComparer.Ordinal);
            lock (_tunnels)
            {
                foreach (var gone in _tunnels.Keys.Where(a => !wanted.Contains(a)).ToList())
                {
                    _tunnels[gone].Stop.Cancel();
                    _tunnels.Remove(gone);
                    Log.Stopped(_logger, gone);
                }

                foreach (var address in wanted.Where(a => !_tunnels.ContainsKey(a)))
                {
                    var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    _tunnels[address] = (stop, Task.Run(() => TunnelLoopAsync(address, stop.Token)));
                }
            }

            try
            {
                await Task.Delay(RetryDelay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task TunnelLoopAsync(string address, CancellationToken ct)
    {
        var url = new Uri($"wss://{address}/v1-k3s/connect");
        while (!ct.IsCancellationRequested)
        {
            Log.Connecting(_logger, url.ToString());
            var connected = false;
            try
            {
                var socket = new ClientWebSocket();
                socket.Options.ClientCertificates = [_client];
                socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null
                    && (errors & ~(SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors)) == SslPolicyErrors.None
                    && ClusterCaFetcher.ChainsTo(certificate, _ca);
                socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(10);
                socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(30);
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(10));
                    try
                    {
                        await socket.ConnectAsync(url, connect.Token);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }

                Log.Connected(_logger, url.ToString());
                connected = true;
                await using var session = new TunnelSession(socket, DialAsync, _logger);
                await session.RunAsync(ct);
                if (!ct.IsCancellationRequested)
                {
                    Log.Failed(_logger, url.ToString(), "the tunnel closed");
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or OperationCanceledException)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                Log.Failed(_logger, url.ToString(), e.Message);
            }

            if (connected && !ct.IsCancellationRequested)
            {
                _closed(address);
            }

            try
            {
                await Task.Delay(RetryDelay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Connects a stream the server opened: only to this node's kubelet API.</summary>
    private async Task<Stream> DialAsync(string target, CancellationToken ct)
    {
        if (target != TunnelSession.KubeletTarget)
        {
            throw new TunnelException($"this agent dials only \"{TunnelSession.KubeletTarget}\", not \"{target}\"");
        }

        var socket = new Socket(_kubelet.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_kubelet, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
