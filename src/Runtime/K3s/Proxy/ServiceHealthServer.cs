using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K3sLab.K3s.Proxy;

/// <summary>How one Service's health check node port answers: its name and this node's count of its endpoints.</summary>
internal sealed record ServiceHealth(string Namespace, string Name, int LocalEndpoints);

/// <summary>
/// kube-proxy's per-Service health check: for each LoadBalancer Service with <c>externalTrafficPolicy: Local</c>, an
/// HTTP listener on its <c>healthCheckNodePort</c> that answers any request with the Service's name and this node's
/// count of its endpoints, <c>200</c> when there is one and <c>503</c> when there is none, so an outside balancer
/// sends the Service's traffic only to nodes that keep it. Listeners follow the rules: opened for a new port, closed
/// for one that went. A port another process holds is logged and tried again at the next sync.
/// </summary>
internal sealed partial class ServiceHealthServer(ILogger logger, IPAddress? bind = null) : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Listening> _ports = [];

    /// <summary>The health of each health check port among <paramref name="rules"/> (a Service's ports share one).</summary>
    public static Dictionary<int, ServiceHealth> From(IEnumerable<ServicePortRule> rules) =>
        rules.Where(r => r.HealthCheckNodePort is not null)
            .GroupBy(r => r.HealthCheckNodePort!.Value)
            .ToDictionary(g => g.Key, g => new ServiceHealth(g.First().Namespace, g.First().Name, g.Max(r => r.LocalEndpoints.Count)));

    /// <summary>The ports listened on now.</summary>
    public IReadOnlyList<int> Ports
    {
        get
        {
            lock (_gate)
            {
                return [.. _ports.Keys.Order()];
            }
        }
    }

    /// <summary>Listens on exactly the ports of <paramref name="wanted"/>, each answering with its health.</summary>
    public void Update(IReadOnlyDictionary<int, ServiceHealth> wanted)
    {
        List<Listening> closing;
        lock (_gate)
        {
            closing = [.. _ports.Where(p => !wanted.ContainsKey(p.Key)).Select(p => p.Value)];
            foreach (var gone in closing)
            {
                _ports.Remove(gone.Port);
            }

            foreach (var (port, health) in wanted)
            {
                if (_ports.TryGetValue(port, out var open))
                {
                    open.Health = health;
                    continue;
                }

                var listener = new TcpListener(bind ?? IPAddress.Any, port);
                try
                {
                    listener.Start();
                }
                catch (SocketException e)
                {
                    listener.Dispose();
                    Log.ListenFailed(logger, port, $"{health.Namespace}/{health.Name}", e.Message);
                    continue;
                }

                var listening = new Listening(port, listener, health);
                _ports[port] = listening;
                listening.Loop = ServeAsync(listening);
            }
        }

        foreach (var gone in closing)
        {
            gone.Listener.Stop();
        }
    }

    /// <summary>The whole HTTP answer for <paramref name="health"/>, in kube-proxy's words.</summary>
    public static string Response(ServiceHealth health)
    {
        var body = $"{{\n\t\"service\": {{\n\t\t\"namespace\": \"{health.Namespace}\",\n\t\t\"name\": \"{health.Name}\"\n\t}},\n\t\"localEndpoints\": {health.LocalEndpoints},\n\t\"serviceProxyHealthy\": true\n}}";
        var status = health.LocalEndpoints > 0 ? "200 OK" : "503 Service Unavailable";
        return $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nX-Load-Balancing-Endpoint-Weight: {health.LocalEndpoints}\r\n" +
            $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
    }

    public async ValueTask DisposeAsync()
    {
        List<Listening> all;
        lock (_gate)
        {
            all = [.. _ports.Values];
            _ports.Clear();
        }

        foreach (var listening in all)
        {
            listening.Listener.Stop();
            await listening.Loop.ConfigureAwait(false);
        }
    }

    private static async Task ServeAsync(Listening listening)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listening.Listener.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = AnswerAsync(client, listening.Health);
        }
    }

    /// <summary>Reads the request's head (any method and path, as kube-proxy answers any), then answers and closes.</summary>
    private static async Task AnswerAsync(Socket client, ServiceHealth health)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(ReadTimeout);
                var buffer = new byte[4096];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                    if (buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }

                await client.SendAsync(Encoding.UTF8.GetBytes(Response(health)), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that went away or never sent its request.
            }
        }
    }

    private sealed class Listening(int port, TcpListener listener, ServiceHealth health)
    {
        public int Port => port;

        public TcpListener Listener => listener;

        private volatile ServiceHealth _health = health;

        public ServiceHealth Health
        {
            get => _health;
            set => _health = value;
        }

        public Task Loop { get; set; } = Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7608, Level = LogLevel.Warning, Message = "Cannot answer the health check node port {Port} of {Service}: {Error}; tried again at the next sync")]
        public static partial void ListenFailed(ILogger logger, int port, string service, string error);
    }
}
