using Grpc.Net.Client;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>One etcd member the client may call: its endpoint (redacted for messages), its channel and its service clients.</summary>
internal sealed class EtcdMember(Uri endpoint, GrpcChannel channel)
{
    private volatile string? _tlsRejection;

    public Uri Endpoint { get; } = endpoint;

    /// <summary>The endpoint as messages name it, without any password.</summary>
    public string Display { get; } = EtcdEndpointList.Redact(endpoint);

    public GrpcChannel Channel { get; } = channel;

    public Wire.KV.KVClient Kv { get; } = new(channel);

    public Wire.Watch.WatchClient Watch { get; } = new(channel);

    public Wire.Lease.LeaseClient Lease { get; } = new(channel);

    public Wire.Maintenance.MaintenanceClient Maintenance { get; } = new(channel);

    public Wire.Cluster.ClusterClient Cluster { get; } = new(channel);

    /// <summary>Why this client last refused the member's certificate, if it did: the startup error says it.</summary>
    public string? TlsRejection => _tlsRejection;

    public void RejectedCertificate(string reason) => _tlsRejection = reason;
}

/// <summary>
/// The members of the external cluster, one gRPC channel (one HTTP/2 connection) per endpoint, and which one the client
/// prefers. A channel per endpoint rather than one channel over a static resolver: the client must know which member a
/// call went to, both to say so in errors and to decide whether a failed write may be retried on the next member (only
/// when the first never received it); Grpc.Net.Client's balancer would hide both. Calls stick to the preferred member
/// and move on to the next one in flag order when it fails, so a healthy cluster sees one connection per server.
/// </summary>
/// <remarks>Thread-safety: all members may be used concurrently; the preferred index changes atomically.</remarks>
internal sealed class EtcdMembers : IDisposable
{
    // etcd's default --max-request-bytes is 1.5 MiB; responses (lists, snapshots chunks) may be far larger.
    private const int MaxReceiveBytes = int.MaxValue;

    private readonly EtcdMember[] _members;
    private readonly EtcdClientTls _tls;
    private int _preferred;

    public EtcdMembers(EtcdClientOptions options)
    {
        _tls = EtcdClientTls.Load(options);
        _members = [.. options.Endpoints.Endpoints.Select(e => Create(e, options))];
    }

    public int Count => _members.Length;

    /// <summary>The member calls go to first.</summary>
    public int Preferred => Volatile.Read(ref _preferred);

    public EtcdMember this[int index] => _members[index];

    /// <summary>Every endpoint, redacted, for messages about the whole cluster.</summary>
    public string Describe() => string.Join(",", _members.Select(m => m.Display));

    /// <summary>The member at <paramref name="index"/> failed: prefer the next one, unless another call already moved on.</summary>
    public void Failed(int index) => Interlocked.CompareExchange(ref _preferred, (index + 1) % _members.Length, index);

    public void Dispose()
    {
        foreach (var member in _members)
        {
            member.Channel.Dispose();
        }

        _tls.Dispose();
    }

    private EtcdMember Create(Uri endpoint, EtcdClientOptions options)
    {
        EtcdMember? member = null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            // Idle watch streams must notice a dead member without traffic; etcd allows a ping every 5 s or slower.
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
            UseProxy = false,
        };
        if (endpoint.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = _tls.ClientOptions(reason => member?.RejectedCertificate(reason));
        }

        var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxReceiveBytes,
            MaxSendMessageSize = null,
            ThrowOperationCanceledOnCancellation = true,
        });
        member = new EtcdMember(endpoint, channel);
        return member;
    }
}
