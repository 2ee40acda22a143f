using Google.Protobuf;
using Grpc.Core;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// What every etcd service shares: the store, the member's identity for response headers, and etcd's request
/// size rule (<c>--max-request-bytes</c>, 1.5 MiB by default: larger writes fail with "request is too large";
/// beyond that plus gRPC's 512 KiB allowance the message itself is refused, as grpc-go does in etcd).
/// </summary>
internal sealed class EtcdEndpoint(IRevisionedStore store, IClusterView cluster, LeaderLoss leaders)
{
    public const int DefaultMaxRequestBytes = 1536 * 1024;
    private const int GrpcOverheadBytes = 512 * 1024;

    public IRevisionedStore Store { get; } = store;

    public IClusterView Cluster { get; } = cluster;

    /// <summary>etcd's require-leader rule for streams (<c>hasleader</c> metadata).</summary>
    public LeaderLoss Leaders { get; } = leaders;

    public int MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;

    /// <summary>The largest message the gRPC server reads at all.</summary>
    public int MaxReceiveBytes => MaxRequestBytes + GrpcOverheadBytes;

    public Wire.ResponseHeader Header(long revision) => new()
    {
        ClusterId = Cluster.ClusterId,
        MemberId = Cluster.MemberId,
        Revision = revision,
        RaftTerm = Cluster.RaftTerm,
    };

    /// <summary>Refuses a write request over the size limit, as etcd does before proposing it.</summary>
    public void CheckSize(IMessage request)
    {
        var size = request.CalculateSize();
        if (size > MaxReceiveBytes)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"grpc: received message larger than max ({size} vs. {MaxReceiveBytes})"));
        }

        if (size > MaxRequestBytes)
        {
            throw new StoreException(StoreError.RequestTooLarge, "the request is larger than --max-request-bytes");
        }
    }
}

/// <summary>The single member this datastore presents itself as, for headers, member list and status.</summary>
internal sealed record EtcdMember(ulong MemberId, ulong ClusterId, string Name, IReadOnlyList<string> ClientUrls, IReadOnlyList<string> PeerUrls)
{
    public ulong RaftTerm { get; init; } = 1;
}

/// <summary>Runs a handler and converts any failure to etcd's gRPC status once.</summary>
internal static class EtcdCall
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> handler)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw EtcdErrors.ToRpc(e);
        }
    }
}
