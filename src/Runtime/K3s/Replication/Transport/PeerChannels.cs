using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>One HTTP/2 connection pool per peer URL, with the peer TLS (or plain HTTP/2 for http:// URLs in tests).</summary>
internal sealed class PeerChannels(PeerTlsOptions? tls) : IDisposable
{
    // Snapshots travel as one message; a lab store is far below this.
    private const int MaxMessageBytes = 512 * 1024 * 1024;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);
    private static readonly string StreamPath = $"/{Wire.RaftPeer.Descriptor.FullName}/{nameof(Wire.RaftPeer.RaftPeerClient.Stream)}";

    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    public GrpcChannel For(string url) => _channels.GetOrAdd(url, Create);

    /// <summary>Opens a <c>RaftPeer.Stream</c> call to <paramref name="url"/> on a connection of its own (<see cref="PeerStreamCall"/>).</summary>
    public Task<PeerStreamCall> OpenStreamAsync(string url, CancellationToken cancellationToken) =>
        PeerStreamCall.OpenAsync(new Uri(url), StreamPath, tls?.ClientOptions(), ConnectTimeout, cancellationToken);

    private GrpcChannel Create(string url)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = ConnectTimeout,
            KeepAlivePingDelay = PeerStreamCall.DefaultPingDelay,
            KeepAlivePingTimeout = PeerStreamCall.DefaultPingTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (tls is null)
            {
                throw new InvalidOperationException($"peer URL {url} needs TLS, but no peer certificate was configured");
            }

            handler.SslOptions = tls.ClientOptions();
        }

        return GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = handler,

            // A member added as a learner starts listening a moment after the leader first dials it. gRPC's default
            // (1 s, doubling) would leave the channel refusing sends for that long; the sender backs off on its own.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
            MaxReconnectBackoff = TimeSpan.FromSeconds(2),
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
            DisposeHttpClient = true,
        });
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
    }
}
