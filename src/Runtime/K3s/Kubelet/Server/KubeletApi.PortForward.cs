using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using K3sLab.K3s.Kubelet.Pods;
using K3sLab.K3s.Kubelet.Streaming;

namespace K3sLab.K3s.Kubelet.Server;

// portForward: SPDY streams (portforward.k8s.io) to TCP connections inside the pod's network, which is the node's.
internal sealed partial class KubeletApi
{
    /// <summary>
    /// Serves port-forward as the kubelet's SPDY handler does: for every forwarded connection the client opens an
    /// <c>error</c> stream and a <c>data</c> stream carrying the same <c>port</c> and <c>requestID</c> headers; once
    /// both are there, the kubelet connects to the port in the pod's network (pods share the node's, so
    /// <c>127.0.0.1</c>, then the node IP) and copies bytes both ways. A failed connect is written to the error stream
    /// in the kubelet's words. The connection lasts until the client closes it.
    /// </summary>
    private static async Task PortForwardAsync(HttpContext context, PodSync pods, ILogger logger)
    {
        var parts = ((string?)context.Request.RouteValues["path"] ?? string.Empty).Split('/');
        if (parts.Length is not (2 or 3) || parts.Any(p => p.Length == 0))
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "404 page not found\n");
            return;
        }

        if (pods.Find(parts[0], parts[1]) is not { } worker)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "pod does not exist");
            return;
        }

        Stream? transport;
        if (context.WebSockets.IsWebSocketRequest)
        {
            var offered = Offers(context.Request.Headers.SecWebSocketProtocol);
            if (!offered.Contains(TunnelPrefix + PortForwardProtocol))
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', offered)}], server supports [{TunnelPrefix}{PortForwardProtocol}]");
                return;
            }

            var socket = await WebSocketHandshake.AcceptAsync(context, TunnelPrefix + PortForwardProtocol);
            if (socket is null)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, "Upgrade request required");
                return;
            }

            transport = new WebSocketByteStream(socket);
        }
        else
        {
            transport = await UpgradeSpdyAsync(context, [PortForwardProtocol]);
        }

        if (transport is null)
        {
            return;
        }

        await using var connection = new SpdyConnection(transport);
        var reading = connection.RunAsync(context.RequestAborted);
        var pairs = new Dictionary<string, (SpdyStream? Error, SpdyStream? Data)>(StringComparer.Ordinal);
        var forwards = new List<Task>();
        await foreach (var stream in connection.Streams.ReadAllAsync(CancellationToken.None))
        {
            // Old clients send no requestID; the kubelet then pairs by stream id, error first (ids n and n+2).
            var type = stream.Headers["streamtype"];
            var request = stream.Headers["requestid"] ?? (type == "error" ? stream.Id : stream.Id - 2).ToString(CultureInfo.InvariantCulture);
            var pair = pairs.GetValueOrDefault(request);
            pair = type switch
            {
                "error" => pair with { Error = stream },
                "data" => pair with { Data = stream },
                _ => pair,
            };
            if (type is not ("error" or "data"))
            {
                await connection.SendAsync(SpdyFrame.Reset(stream.Id, SpdyFrame.ProtocolError), CancellationToken.None);
                continue;
            }

            if (pair is { Error: { } error, Data: { } data })
            {
                pairs.Remove(request);
                forwards.Add(ForwardAsync(error, data, worker, logger));
            }
            else
            {
                pairs[request] = pair;
            }
        }

        await reading;
        await Task.WhenAll(forwards);
    }

    private static async Task ForwardAsync(SpdyStream error, SpdyStream data, PodWorker pod, ILogger logger)
    {
        var portText = data.Headers["port"] ?? string.Empty;
        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            await FailAsync($"error forwarding port {portText} to pod {pod.Name}, uid {pod.Uid}: invalid port \"{portText}\"");
            return;
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
        }
        catch (SocketException) when (pod.NodeIp is { } nodeIp && !IPAddress.IsLoopback(nodeIp))
        {
            try
            {
                await socket.ConnectAsync(nodeIp, port);
            }
            catch (SocketException e)
            {
                await FailAsync($"error forwarding port {port} to pod {pod.Name}, uid {pod.Uid}: failed to connect to localhost:{port} inside namespace of pod {pod.Name}: dial tcp4 127.0.0.1:{port}: {GoReason(e)}");
                return;
            }
        }
        catch (SocketException e)
        {
            await FailAsync($"error forwarding port {port} to pod {pod.Name}, uid {pod.Uid}: failed to connect to localhost:{port} inside namespace of pod {pod.Name}: dial tcp4 127.0.0.1:{port}: {GoReason(e)}");
            return;
        }

        Log.PortForward(logger, pod.Namespace, pod.Name, port);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        var toPod = Task.Run(async () =>
        {
            try
            {
                await data.CopyToAsync(network);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
        });
        try
        {
            await network.CopyToAsync(data);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
        }

        await TryAsync(() => data.CloseWriteAsync(CancellationToken.None));
        await TryAsync(() => error.CloseWriteAsync(CancellationToken.None));
        await toPod.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);

        async Task FailAsync(string message)
        {
            Log.PortForwardFailed(logger, pod.Namespace, pod.Name, message);
            await TryAsync(async () =>
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes(message));
                await error.CloseWriteAsync(CancellationToken.None);
                await data.CloseWriteAsync(CancellationToken.None);
            });
        }
    }

    private static string GoReason(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connect: connection refused",
        SocketError.TimedOut => "i/o timeout",
        _ => e.Message,
    };
}
