using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>etcd's Watch service: one <see cref="WatchStream"/> per gRPC stream.</summary>
internal sealed class WatchService(EtcdEndpoint endpoint, TimeProvider time) : Wire.Watch.WatchBase
{
    /// <summary>etcd's default interval for progress notifications to watches that asked for them.</summary>
    public static readonly TimeSpan ProgressNotifyInterval = TimeSpan.FromMinutes(10);

    public override async Task Watch(IAsyncStreamReader<Wire.WatchRequest> requestStream, IServerStreamWriter<Wire.WatchResponse> responseStream, ServerCallContext context)
    {
        await using var stream = new WatchStream(endpoint, responseStream, time, ProgressNotifyInterval, context.CancellationToken);
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await stream.HandleAsync(request).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
    }
}
