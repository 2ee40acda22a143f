using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// etcd's Watch service: one <see cref="WatchStream"/> per gRPC stream. A stream opened with <c>hasleader: true</c>
/// ends with "etcdserver: no leader" when the member loses its leader (<see cref="LeaderLoss"/>).
/// </summary>
internal sealed class WatchService(EtcdEndpoint endpoint, TimeProvider time) : Wire.Watch.WatchBase
{
    /// <summary>etcd's default interval for progress notifications to watches that asked for them.</summary>
    public static readonly TimeSpan ProgressNotifyInterval = TimeSpan.FromMinutes(10);

    public override async Task Watch(IAsyncStreamReader<Wire.WatchRequest> requestStream, IServerStreamWriter<Wire.WatchResponse> responseStream, ServerCallContext context)
    {
        using var leaderBound = endpoint.Leaders.Link(context);
        var token = leaderBound?.Token ?? context.CancellationToken;
        try
        {
            await using var stream = new WatchStream(endpoint, responseStream, time, ProgressNotifyInterval, token);
            await foreach (var request in requestStream.ReadAllAsync(token).ConfigureAwait(false))
            {
                await stream.HandleAsync(request).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.CancellationToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (leaderBound?.IsCancellationRequested == true)
        {
            throw LeaderLoss.NoLeader();
        }
    }
}
