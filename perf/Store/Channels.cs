using Grpc.Net.Client;

namespace K3sLab.Perf.Store;

/// <summary>
/// gRPC connections to a store. As <c>etcdctl check perf</c> does, each client gets its own connection, so
/// neither store is limited by HTTP/2 stream limits on a shared one.
/// </summary>
internal sealed class Channels : IDisposable
{
    private readonly List<GrpcChannel> _channels = [];

    public Channels(string address, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _channels.Add(GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
                MaxReceiveMessageSize = 64 * 1024 * 1024,
            }));
        }
    }

    public GrpcChannel this[int index] => _channels[index % _channels.Count];

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}
