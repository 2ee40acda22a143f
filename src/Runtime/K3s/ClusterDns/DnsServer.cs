using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// The cluster DNS server k3s runs as CoreDNS: UDP and TCP on port 53 of one address. Names of the cluster are
/// answered from <see cref="ClusterDnsModel"/> (an ExternalName's CNAME followed by the target's addresses from the
/// upstream servers); every other query is forwarded as it came to the upstream servers in turn (2 s each), over the
/// transport it came on, and their answer relayed unchanged; SERVFAIL when none answers. Queries other than QUERY get
/// NOTIMP. UDP answers obey 512 bytes or the query's EDNS size (truncated otherwise, for the stub to retry over TCP).
/// </summary>
internal sealed partial class DnsServer : IAsyncDisposable
{
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Func<ClusterDnsModel> _model;
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private int _warnedNoUpstream;

    private DnsServer(Socket udp, TcpListener tcp, Func<ClusterDnsModel> model, IReadOnlyList<IPEndPoint> upstreams, ILogger logger)
    {
        (_udp, _tcp, _model, _upstreams, _logger) = (udp, tcp, model, upstreams, logger);
        _run = Task.WhenAll(Task.Run(() => ServeUdpAsync(_stop.Token)), Task.Run(() => ServeTcpAsync(_stop.Token)));
    }

    /// <summary>The UDP and TCP endpoint it answers on.</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>
    /// Binds UDP and TCP at <paramref name="endpoint"/> (port 0 picks one, the same for both) and starts answering.
    /// With port 0 the UDP port the kernel picks may be taken for TCP; another port is then tried.
    /// </summary>
    public static DnsServer Start(IPEndPoint endpoint, Func<ClusterDnsModel> model, IReadOnlyList<IPEndPoint> upstreams, ILogger logger)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Bind(endpoint, model, upstreams, logger);
            }
            catch (SocketException e) when (endpoint.Port == 0 && e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20)
            {
            }
        }
    }

    private static DnsServer Bind(IPEndPoint endpoint, Func<ClusterDnsModel> model, IReadOnlyList<IPEndPoint> upstreams, ILogger logger)
    {
        var udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        TcpListener? tcp = null;
        try
        {
            udp.Bind(endpoint);
            tcp = new TcpListener(new IPEndPoint(endpoint.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            tcp.Start();
        }
        catch
        {
            udp.Dispose();
            tcp?.Dispose();
            throw;
        }

        Log.Listening(logger, ((IPEndPoint)udp.LocalEndPoint!).ToString(), upstreams.Count == 0 ? "none" : string.Join(", ", upstreams));
        return new DnsServer(udp, tcp, model, upstreams, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await _run;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _tcp.Dispose();
        _stop.Dispose();
    }

    private async Task ServeUdpAsync(CancellationToken ct)
    {
        var buffer = new byte[65535];
        EndPoint any = new IPEndPoint(Endpoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // An ICMP port-unreachable from a client that went away.
                continue;
            }

            var message = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var client = received.RemoteEndPoint;
            _ = Task.Run(async () =>
            {
                var reply = await AnswerAsync(message, tcp: false, ct);
                if (reply is not null)
                {
                    try
                    {
                        await _udp.SendToAsync(reply, SocketFlags.None, client, ct);
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                    {
                    }
                }
            }, ct);
        }
    }

    private async Task ServeTcpAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var connection = await _tcp.AcceptTcpClientAsync(ct);
            _ = Task.Run(() => ServeConnectionAsync(connection, ct), ct);
        }
    }

    private async Task ServeConnectionAsync(TcpClient connection, CancellationToken ct)
    {
        using (connection)
        {
            var stream = connection.GetStream();
            var length = new byte[2];
            try
            {
                while (true)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    idle.CancelAfter(TcpIdle);
                    await stream.ReadExactlyAsync(length, idle.Token);
                    var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                    await stream.ReadExactlyAsync(message, idle.Token);
                    if (await AnswerAsync(message, tcp: true, ct) is { } reply)
                    {
                        var framed = new byte[reply.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                        reply.CopyTo(framed, 2);
                        await stream.WriteAsync(framed, ct);
                    }
                }
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client closed, went idle, or the server stops.
            }
        }
    }
}
