using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace K3sLab.K3s.Tunnel;

/// <summary>
/// The agent tunnel over one WebSocket: many <see cref="TunnelStream"/>s multiplexed as <see cref="TunnelFrame"/>s.
/// The server side opens streams (<see cref="OpenAsync"/>); the agent side accepts them by dialing the named target
/// with the function it was given and copying bytes both ways.
/// </summary>
/// <remarks>
/// <para>Protocol: an opener sends Open(id, target) with a fresh odd id; the acceptor answers Accept(id) once the
/// target is connected, or Reset(id, reason). Then Data, Window (credit returned), Close (half close) and Reset
/// flow either way. Frames of one stream arrive in order. A malformed frame or an oversized message ends the
/// session; a flow-control violation, an Open for a taken id, more than <see cref="MaxStreams"/> streams or an
/// unknown target resets only that stream. Frames for unknown ids are dropped (they race with a local reset).</para>
/// <para>Buffers are bounded: the receive loop never waits on a stream (credit guarantees each stream room for what
/// it is sent), and every stream has at most one window of data queued for sending, so a session holds at most
/// <see cref="MaxStreams"/> windows per direction.</para>
/// <para>Threading: one receive loop (<see cref="RunAsync"/>) and one send loop, which alone writes to the socket;
/// everything else posts frames to the send queue. When the socket ends, every stream is reset with "tunnel
/// closed" and <see cref="RunAsync"/> returns.</para>
/// </remarks>
internal sealed partial class TunnelSession : IAsyncDisposable
{
    /// <summary>Streams open at once in one session; more are refused with a Reset.</summary>
    public const int MaxStreams = 128;

    /// <summary>The target name an agent answers: its own kubelet's port.</summary>
    public const string KubeletTarget = "kubelet";

    private readonly WebSocket _socket;
    private readonly Func<string, CancellationToken, Task<Stream>>? _dial;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, TunnelStream> _streams = [];
    private readonly CancellationTokenSource _stop = new();
    private uint _nextId = unchecked((uint)-1);
    private Task _run = Task.CompletedTask;

    /// <param name="socket">An open WebSocket; the session owns it from now on.</param>
    /// <param name="dial">
    /// For the accepting (agent) side: connects a target name to a stream, or throws with the reason sent back in the
    /// Reset. Null on the opening (server) side, which refuses every Open.
    /// </param>
    /// <param name="logger">Where stream failures are logged (debug).</param>
    public TunnelSession(WebSocket socket, Func<string, CancellationToken, Task<Stream>>? dial, ILogger logger)
    {
        _socket = socket;
        _dial = dial;
        _logger = logger;
    }

    /// <summary>Streams open now.</summary>
    public int StreamCount
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Runs the session until the socket closes, fails or <paramref name="cancellationToken"/> fires.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        _run = RunCoreAsync(cancellationToken);
        return _run;
    }

    /// <summary>
    /// Opens a stream to <paramref name="target"/> on the peer and waits for its Accept.
    /// </summary>
    /// <exception cref="TunnelException">The peer refused (its reason), or the session ended.</exception>
    public async Task<TunnelStream> OpenAsync(string target, CancellationToken cancellationToken)
    {
        TunnelStream stream;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                throw new TunnelException("tunnel closed");
            }

            if (_streams.Count >= MaxStreams)
            {
                throw new TunnelException($"the tunnel has {MaxStreams} streams open already");
            }

            _nextId += 2;
            stream = new TunnelStream(this, _nextId, target);
            _streams[stream.Id] = stream;
            Post(TunnelFrame.Open(stream.Id, target));
        }

        try
        {
            await stream.Accepted.WaitAsync(cancellationToken);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Queues a frame for the send loop; dropped once the session has ended.</summary>
    internal void Post(TunnelFrame frame) => _outgoing.Writer.TryWrite(frame.Encode());

    /// <summary>Drops a disposed stream from the table.</summary>
    internal void Forget(uint id)
    {
        lock (_gate)
        {
            _streams.Remove(id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        try
        {
            await _run;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }

        _socket.Dispose();
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var sending = SendLoopAsync(linked.Token);
        try
        {
            await ReceiveLoopAsync(linked.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or TunnelException)
        {
            if (e is TunnelException)
            {
                Log.ProtocolError(_logger, e.Message);
            }
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            await linked.CancelAsync();
            List<TunnelStream> streams;
            lock (_gate)
            {
                _stop.Cancel();
                streams = [.. _streams.Values];
                _streams.Clear();
            }

            foreach (var stream in streams)
            {
                stream.OnReset("tunnel closed");
            }

            try
            {
                await sending;
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
            {
            }

            _socket.Abort();
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(ct))
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, ct);
            }
        }
        finally
        {
            // A failed send ends the receive loop too.
            _socket.Abort();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[TunnelFrame.MaxFrame];
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    throw new TunnelException($"a tunnel message is longer than {TunnelFrame.MaxFrame} bytes");
                }

                result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType != WebSocketMessageType.Binary)
            {
                throw new TunnelException("a text message on the tunnel");
            }

            if (!TunnelFrame.TryDecode(buffer.AsMemory(0, length), out var frame, out var error))
            {
                throw new TunnelException(error ?? "a malformed tunnel frame");
            }

            Dispatch(frame);
        }
    }

    private void Dispatch(TunnelFrame frame)
    {
        TunnelStream? stream;
        lock (_gate)
        {
            _streams.TryGetValue(frame.StreamId, out stream);
        }

        switch (frame.Type)
        {
            case TunnelFrameType.Open:
                Accept(frame.StreamId, frame.PayloadText, taken: stream is not null);
                break;
            case TunnelFrameType.Accept:
                stream?.OnAccepted();
                break;
            case TunnelFrameType.Data when stream is not null && !stream.OnData(frame.Payload):
                Log.WindowExceeded(_logger, frame.StreamId);
                Post(TunnelFrame.Reset(frame.StreamId, "flow-control window exceeded"));
                Forget(frame.StreamId);
                stream.OnReset("flow-control window exceeded");
                break;
            case TunnelFrameType.Window:
                stream?.OnWindow(frame.Credit);
                break;
            case TunnelFrameType.Close:
                stream?.OnClose();
                break;
            case TunnelFrameType.Reset when stream is not null:
                Forget(frame.StreamId);
                stream.OnReset(frame.PayloadText);
                break;
        }
    }

    /// <summary>An Open from the peer: refused, or dialed and copied both ways in the background.</summary>
    private void Accept(uint id, string target, bool taken)
    {
        TunnelStream stream;
        lock (_gate)
        {
            var refusal = taken ? "stream id in use"
                : _dial is null ? "this side of the tunnel accepts no streams"
                : _streams.Count >= MaxStreams ? $"the tunnel has {MaxStreams} streams open already"
                : null;
            if (refusal is not null)
            {
                Post(TunnelFrame.Reset(id, refusal));
                return;
            }

            stream = new TunnelStream(this, id, target);
            _streams[id] = stream;
        }

        _ = Task.Run(() => ServeAsync(stream, _stop.Token));
    }

    private async Task ServeAsync(TunnelStream stream, CancellationToken ct)
    {
        Stream target;
        try
        {
            target = await _dial!(stream.Target, ct);
        }
        catch (Exception e) when (e is SocketException or IOException or TunnelException or OperationCanceledException)
        {
            Log.DialFailed(_logger, stream.Target, e.Message);
            Post(TunnelFrame.Reset(stream.Id, e.Message));
            Forget(stream.Id);
            stream.OnReset(e.Message);
            return;
        }

        Post(TunnelFrame.Accept(stream.Id));
        await using (target)
        await using (stream)
        {
            await Task.WhenAll(CopyAsync(stream, target, ct), CopyAsync(target, stream, ct));
        }
    }

    /// <summary>Copies until end of stream, then half-closes the destination; a failure aborts both ends.</summary>
    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, ct);
            switch (to)
            {
                case TunnelStream tunnel:
                    await tunnel.CloseWriteAsync();
                    break;
                case NetworkStream network:
                    network.Socket.Shutdown(SocketShutdown.Send);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            await from.DisposeAsync();
            await to.DisposeAsync();
        }
    }
}
