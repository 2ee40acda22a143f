using System.Collections.Concurrent;
using System.Threading.Channels;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// The server end of a SPDY/3.1 connection after an HTTP upgrade, as kubelet streaming (spdystream) serves it: the
/// client opens streams with SYN_STREAM and each is answered at once with an empty SYN_REPLY (client-go waits for
/// it before opening the next); DATA frames are delivered to their stream; PINGs are echoed; RST_STREAM and the end
/// of the connection end a stream's reads. No flow control and no streams opened by this end (the protocols here
/// need none). <see cref="RunAsync"/> is the one reader; <see cref="SendAsync"/> may be called from any thread.
/// </summary>
internal sealed class SpdyConnection : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly SpdyFrameReader _reader;
    private readonly SpdyFrameWriter _writer = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private readonly Channel<SpdyStream> _accepted = Channel.CreateUnbounded<SpdyStream>();
    private uint _lastStreamId;
    private int _goneAway;

    public SpdyConnection(Stream transport)
    {
        _transport = transport;
        _reader = new SpdyFrameReader(transport);
    }

    /// <summary>The streams the client opened, in order; completes when the connection ends.</summary>
    public ChannelReader<SpdyStream> Streams => _accepted.Reader;

    /// <summary>Reads frames until the client closes the connection, it fails, or <paramref name="ct"/> ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (await _reader.ReadAsync(ct) is { } frame)
            {
                await HandleAsync(frame, ct);
            }
        }
        catch (Exception e) when (e is IOException or SpdyProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or broke the protocol: every stream ends.
        }
        finally
        {
            foreach (var stream in _streams.Values)
            {
                stream.EndReceive();
            }

            _accepted.Writer.TryComplete();
        }
    }

    /// <summary>Sends one frame (frames go out whole and in call order).</summary>
    public async Task SendAsync(SpdyFrame frame, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var bytes = _writer.Serialize(frame);
            await _transport.WriteAsync(bytes, ct);
            await _transport.FlushAsync(ct);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends GOAWAY (once): this end opens nothing and accepts nothing more.</summary>
    public async Task GoAwayAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _goneAway, 1) == 0)
        {
            try
            {
                await SendAsync(SpdyFrame.GoAway(_lastStreamId), ct);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await GoAwayAsync(CancellationToken.None);
        _reader.Dispose();
        await _writeLock.WaitAsync();
        _writer.Dispose();
        await _transport.DisposeAsync();
    }

    private async Task HandleAsync(SpdyFrame frame, CancellationToken ct)
    {
        switch (frame.Type)
        {
            case SpdyFrameType.SynStream:
                if (frame.StreamId == 0 || frame.StreamId % 2 == 0 || Volatile.Read(ref _goneAway) != 0 || _streams.ContainsKey(frame.StreamId))
                {
                    await SendAsync(SpdyFrame.Reset(frame.StreamId, SpdyFrame.RefusedStream), ct);
                    return;
                }

                _lastStreamId = frame.StreamId;
                var stream = new SpdyStream(this, frame.StreamId, frame.Headers ?? new SpdyHeaders());
                _streams[frame.StreamId] = stream;
                await SendAsync(SpdyFrame.SynReply(frame.StreamId, new SpdyHeaders()), ct);
                if (frame.Fin)
                {
                    stream.EndReceive();
                }

                _accepted.Writer.TryWrite(stream);
                break;
            case SpdyFrameType.Data:
                if (_streams.TryGetValue(frame.StreamId, out var target))
                {
                    target.Receive(frame.Payload);
                    if (frame.Fin)
                    {
                        target.EndReceive();
                    }
                }

                break;
            case SpdyFrameType.RstStream:
                if (_streams.TryRemove(frame.StreamId, out var reset))
                {
                    reset.EndReceive();
                }

                break;
            case SpdyFrameType.Headers when frame.Fin:
                if (_streams.TryGetValue(frame.StreamId, out var finished))
                {
                    finished.EndReceive();
                }

                break;
            case SpdyFrameType.Ping:
                // Client pings are odd; echoing one is the answer (an even id would be our own, which we never send).
                if (frame.Value % 2 == 1)
                {
                    await SendAsync(frame, ct);
                }

                break;
            case SpdyFrameType.GoAway:
                Interlocked.Exchange(ref _goneAway, 1);
                break;
        }
    }
}
