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
/// and move on to the next one in list order when it fails, so a healthy cluster sees one connection per server.
/// The list starts as the flag's endpoints; <see cref="Update"/> replaces it when the cluster's membership changes
/// (a <c>--disable-etcd</c> server follows the embedded store's voters).
/// </summary>
/// <remarks>
/// Thread-safety: all members may be used concurrently. The list is an immutable array swapped atomically; a caller
/// takes <see cref="Current"/> once and works on that snapshot. Channels of members dropped from the list stay open
/// until disposal, since calls in flight may still use them; membership changes are rare.
/// </remarks>
internal sealed class EtcdMembers : IDisposable
{
    // etcd's default --max-request-bytes is 1.5 MiB; responses (lists, snapshots chunks) may be far larger.
    private const int MaxReceiveBytes = int.MaxValue;

    private readonly EtcdClientOptions _options;
    private readonly EtcdClientTls _tls;
    private readonly List<EtcdMember> _retired = [];
    private EtcdMember[] _members;
    private EtcdMember _preferred;

    public EtcdMembers(EtcdClientOptions options)
    {
        _options = options;
        _tls = EtcdClientTls.Load(options);
        _members = [.. options.Endpoints.Endpoints.Select(Create)];
        _preferred = _members[0];
    }

    /// <summary>The members now, in list order: one snapshot for one call's attempts.</summary>
    public IReadOnlyList<EtcdMember> Current => Volatile.Read(ref _members);

    /// <summary>The member calls go to first.</summary>
    public EtcdMember Preferred => Volatile.Read(ref _preferred);

    /// <summary>Where <see cref="Preferred"/> stands in <paramref name="members"/> (a snapshot of <see cref="Current"/>); 0 when it is not there.</summary>
    public static int IndexOf(IReadOnlyList<EtcdMember> members, EtcdMember member)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (ReferenceEquals(members[i], member))
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>Every endpoint, redacted, for messages about the whole cluster.</summary>
    public string Describe() => string.Join(",", Current.Select(m => m.Display));

    /// <summary>The member failed: prefer the next one in the list, unless another call already moved on.</summary>
    public void Failed(EtcdMember member)
    {
        var members = Current;
        var next = members[(IndexOf(members, member) + 1) % members.Count];
        Interlocked.CompareExchange(ref _preferred, next, member);
    }

    /// <summary>
    /// Makes the list <paramref name="endpoints"/>: members already listed keep their channels, new ones get theirs,
    /// and the preferred member stays preferred while it is listed (else the first is). False when nothing changed
    /// or the new list is empty (an empty member list is never taken: the client would have nowhere to call).
    /// </summary>
    public bool Update(IReadOnlyList<Uri> endpoints)
    {
        if (endpoints.Count == 0)
        {
            return false;
        }

        lock (_retired)
        {
            var old = Current;
            var same = old.Count == endpoints.Count && old.Zip(endpoints).All(p => SameEndpoint(p.First.Endpoint, p.Second));
            if (same)
            {
                return false;
            }

            var next = endpoints.Select(e => old.FirstOrDefault(m => SameEndpoint(m.Endpoint, e)) ?? Create(e)).ToArray();
            _retired.AddRange(old.Where(m => !next.Contains(m)));
            Volatile.Write(ref _members, next);
            var preferred = Preferred;
            if (!next.Contains(preferred))
            {
                Interlocked.CompareExchange(ref _preferred, next[0], preferred);
            }

            return true;
        }
    }

    public void Dispose()
    {
        lock (_retired)
        {
            foreach (var member in Current.Concat(_retired))
            {
                member.Channel.Dispose();
            }
        }

        _tls.Dispose();
    }

    private static bool SameEndpoint(Uri a, Uri b) =>
        string.Equals(a.GetLeftPart(UriPartial.Authority), b.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    private EtcdMember Create(Uri endpoint)
    {
        EtcdMember? member = null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
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
