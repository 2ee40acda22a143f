using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Grpc.Core;
using K3sLab.K3s.Etcd.Http2;
using static K3sLab.K3s.Etcd.Http2.Http2Frame;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>The call's reading side: every frame the server sends, and the keep-alive.</summary>
internal sealed partial class PeerStreamCall
{
    private async Task ReadAsync()
    {
        var header = new byte[Http2Frame.HeaderLength];
        var payload = new byte[Http2Frame.DefaultMaxFrameSize];
        var block = new ArrayBufferWriter<byte>(512);
        var blockEndsStream = false;
        long unacknowledged = 0;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _stop.Token).ConfigureAwait(false);
                var frame = Http2Frame.Read(header);
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                Volatile.Write(ref _pingSent, 0);

                // This side never raised SETTINGS_MAX_FRAME_SIZE, so a longer frame breaks the protocol.
                if (frame.Length > Http2Frame.DefaultMaxFrameSize)
                {
                    throw new IOException($"the peer sent a frame of {frame.Length} bytes, more than the {Http2Frame.DefaultMaxFrameSize} this side accepts");
                }

                var body = payload.AsMemory(0, frame.Length);
                await _stream.ReadExactlyAsync(body, _stop.Token).ConfigureAwait(false);
                switch (frame.Type)
                {
                    case Settings when (frame.Flags & Ack) == 0:
                        ApplySettings(body.Span);
                        await SendControlAsync(new Http2Frame(0, Settings, Ack, 0), []).ConfigureAwait(false);
                        break;
                    case Ping when (frame.Flags & Ack) == 0 && frame.Length == 8:
                        await SendControlAsync(new Http2Frame(8, Ping, Ack, 0), body.ToArray()).ConfigureAwait(false);
                        break;
                    case WindowUpdate when frame.Length == 4:
                        AddWindow(frame.StreamId, BinaryPrimitives.ReadUInt32BigEndian(body.Span) & 0x7FFF_FFFF);
                        break;
                    case Data when frame.StreamId == StreamId:
                        // The answer's bytes: give the credit back before the server runs out of it.
                        unacknowledged += frame.Length;
                        if (unacknowledged >= ReceiveWindowUpdateAt)
                        {
                            await GiveCreditAsync((int)unacknowledged).ConfigureAwait(false);
                            unacknowledged = 0;
                        }

                        if ((frame.Flags & Http2Frame.EndStream) != 0)
                        {
                            Close(new HttpIOException(HttpRequestError.ResponseEnded, "the peer ended the call without its trailers"));
                            return;
                        }

                        break;
                    case Headers when frame.StreamId == StreamId:
                        block.ResetWrittenCount();
                        block.Write(HeaderBlockFragment(frame, body.Span));
                        blockEndsStream = (frame.Flags & Http2Frame.EndStream) != 0;
                        if ((frame.Flags & Http2Frame.EndHeaders) != 0 && OnHeaderBlock(block.WrittenSpan, blockEndsStream))
                        {
                            return;
                        }

                        break;
                    case Continuation when frame.StreamId == StreamId:
                        block.Write(body.Span);
                        if ((frame.Flags & Http2Frame.EndHeaders) != 0 && OnHeaderBlock(block.WrittenSpan, blockEndsStream))
                        {
                            return;
                        }

                        break;
                    case RstStream when frame.StreamId == StreamId:
                        Close(new HttpIOException(HttpRequestError.ResponseEnded, $"the peer reset the call (HTTP/2 error code {ErrorCode(body.Span)})"));
                        return;
                    case GoAway:
                        Close(new HttpIOException(HttpRequestError.ResponseEnded, $"the peer is closing the connection (GOAWAY, HTTP/2 error code {ErrorCode(body.Span[4..])})"));
                        return;
                    default:
                        // PRIORITY, frames of other streams, acknowledgements, unknown types: nothing to do.
                        break;
                }
            }
        }
        catch (EndOfStreamException e)
        {
            Close(new HttpIOException(HttpRequestError.ResponseEnded, "the peer closed the connection", e));
        }
        catch (Exception e)
        {
            // Whatever stopped the reading (the connection, a malformed frame, disposal) ends the call with it, so the
            // sender learns of it and dials again; nothing else reads this side's frames.
            Close(e);
        }
    }

    private void ApplySettings(ReadOnlySpan<byte> settings)
    {
        for (var at = 0; at + 6 <= settings.Length; at += 6)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(settings[at..]);
            var value = BinaryPrimitives.ReadUInt32BigEndian(settings[(at + 2)..]);
            if (id == SettingsInitialWindowSize)
            {
                // A new initial window moves the open stream's window by the difference (RFC 9113 section 6.9.2).
                var delta = (long)value - _peerInitialWindow;
                _peerInitialWindow = (int)value;
                AddWindow(StreamId, delta);
            }
            else if (id == SettingsMaxFrameSize)
            {
                Volatile.Write(ref _maxFrameSize, (int)value);
            }
        }
    }

    /// <summary>A HEADERS frame's header block without its padding and priority fields.</summary>
    private static ReadOnlySpan<byte> HeaderBlockFragment(Http2Frame frame, ReadOnlySpan<byte> body)
    {
        var start = 0;
        var padding = 0;
        if ((frame.Flags & Http2Frame.Padded) != 0)
        {
            padding = body[0];
            start = 1;
        }

        if ((frame.Flags & Http2Frame.Priority) != 0)
        {
            start += 5;
        }

        if (start + padding > body.Length)
        {
            throw new IOException("the peer sent a malformed HEADERS frame");
        }

        return body[start..(body.Length - padding)];
    }

    /// <summary>Reads a complete header block; true when it ended the call (the trailers).</summary>
    private bool OnHeaderBlock(ReadOnlySpan<byte> block, bool endsStream)
    {
        var fields = new Fields();
        if (!_hpack.TryDecode(block, fields))
        {
            throw new IOException("the peer sent a header block this side cannot decode");
        }

        if (fields.HttpStatus is { } status && status != "200")
        {
            Close(new RpcException(new Status(StatusCode.Unavailable, $"the peer answered HTTP status {status}")));
            return true;
        }

        if (!endsStream)
        {
            return false;
        }

        var code = int.TryParse(fields.GrpcStatus, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? (StatusCode)c : StatusCode.Unknown;
        if (code == StatusCode.OK && Volatile.Read(ref _completing))
        {
            Close(null);
        }
        else if (code == StatusCode.OK)
        {
            Close(new HttpIOException(HttpRequestError.ResponseEnded, "the peer ended the call"));
        }
        else
        {
            Close(new RpcException(new Status(code, Uri.UnescapeDataString(fields.GrpcMessage ?? string.Empty))));
        }

        return true;
    }

    private async ValueTask GiveCreditAsync(int bytes)
    {
        var update = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(update, (uint)bytes);
        await SendControlAsync(new Http2Frame(4, WindowUpdate, 0, 0), update).ConfigureAwait(false);
        await SendControlAsync(new Http2Frame(4, WindowUpdate, 0, StreamId), update).ConfigureAwait(false);
    }

    private ValueTask SendControlAsync(Http2Frame frame, byte[] body)
    {
        var header = new byte[Http2Frame.HeaderLength];
        frame.Write(header);
        return SendAsync(header, body, _stop.Token);
    }

    /// <summary>
    /// Sends a PING after the ping delay without a frame from the peer, and drops the connection when the ping
    /// timeout passes without one after it. The check never waits on a send: a partition can leave
    /// the socket's buffer full and a send stuck behind it.
    /// </summary>
    private async Task KeepAliveAsync()
    {
        try
        {
            while (!_closed.Task.IsCompleted)
            {
                await Task.Delay(_keepAliveCheck, _stop.Token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                var pinged = Volatile.Read(ref _pingSent);
                if (pinged != 0 && now - pinged >= (long)_pingTimeout.TotalMilliseconds)
                {
                    Close(new IOException($"the peer did not answer a keep-alive PING within {_pingTimeout.TotalMilliseconds:0} ms"));
                    await _stream.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                if (pinged == 0 && now - Volatile.Read(ref _lastReceived) >= (long)_pingDelay.TotalMilliseconds)
                {
                    Volatile.Write(ref _pingSent, now);
                    _ = SendPingAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async Task SendPingAsync()
    {
        try
        {
            await SendControlAsync(new Http2Frame(8, Ping, 0, 0), new byte[8]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The call is closed (SendAsync recorded why) or being disposed.
        }
    }

    private static uint ErrorCode(ReadOnlySpan<byte> body) => body.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(body) : 0;

    /// <summary>The few response fields the call reads.</summary>
    private sealed class Fields : IHeaderFieldSink
    {
        public string? HttpStatus { get; private set; }

        public string? GrpcStatus { get; private set; }

        public string? GrpcMessage { get; private set; }

        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
        {
            if (name.SequenceEqual(":status"u8))
            {
                HttpStatus = Encoding.ASCII.GetString(value);
            }
            else if (name.SequenceEqual("grpc-status"u8))
            {
                GrpcStatus = Encoding.ASCII.GetString(value);
            }
            else if (name.SequenceEqual("grpc-message"u8))
            {
                GrpcMessage = Encoding.UTF8.GetString(value);
            }
        }

        public void OnTableSizeUpdate(int maxSize)
        {
        }
    }
}
