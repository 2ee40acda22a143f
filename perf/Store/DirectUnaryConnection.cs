using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using K3sLab.K3s.Etcd.Http2;
using static K3sLab.K3s.Etcd.Http2.Http2Frame;

namespace K3sLab.Perf.Store;

/// <summary>
/// A load generator's gRPC client for one unary method over cleartext HTTP/2, driven by one thread with blocking
/// socket calls: a call is one socket write and the reads of its answer, with no hand-over to another thread on
/// either side. The benchmarks use it so that the client's own stack adds as little as possible to each call's time;
/// <c>Grpc.Net.Client</c>, the other client the put loops offer, adds two thread hand-overs on the way out and one
/// on the way back.
/// </summary>
/// <remarks>
/// What it honours of HTTP/2 (RFC 9113): the server's SETTINGS (acknowledged; largest frame size and initial stream
/// window applied), connection and stream flow control for what it sends (it reads frames until WINDOW_UPDATE gives
/// credit), PING (answered), RST_STREAM and GOAWAY (the call fails). Every header block the server sends goes
/// through one HPACK decoder in order, so the server's dynamic table and Huffman coding are understood; the call's
/// result is the trailers' <c>grpc-status</c>. This side's own header fields are HPACK literals without indexing.
/// It offers the server a 1 GiB receive window and tops it up, so answers are never held back. Not thread-safe: one
/// call at a time.
/// </remarks>
internal sealed class DirectUnaryConnection : IDisposable, IHeaderFieldSink
{
    private const int ReceiveWindow = 1 << 30;
    private const int SettingsEnablePush = 0x2;
    private const int SettingsInitialWindowSize = 0x4;
    private const int SettingsMaxFrameSize = 0x5;
    private const int DefaultWindow = 65_535;

    private readonly Socket _socket;
    private readonly HpackDecoder _hpack = new();
    private readonly byte[] _headerBlock;
    private byte[] _read = new byte[64 * 1024];
    private int _readStart;
    private int _readEnd;
    private byte[] _send = new byte[4 * 1024];
    private readonly ArrayBufferWriter<byte> _pendingBlock = new(1024);
    private long _connectionSendWindow = DefaultWindow;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrameSize = DefaultMaxFrameSize;
    private long _receivedSinceUpdate;
    private int _nextStreamId = 1;

    // The call in progress: its stream, its send window, and what its answer has said so far.
    private int _streamId;
    private long _streamSendWindow;
    private int? _grpcStatus;
    private string? _grpcMessage;
    private bool _pendingEnds;

    private DirectUnaryConnection(Socket socket, Uri address, string path)
    {
        _socket = socket;
        var block = new ArrayBufferWriter<byte>(256);
        HpackLiteral.WriteGrpcRequest(block, "http", address.Authority, path);
        _headerBlock = block.WrittenSpan.ToArray();
    }

    /// <summary>Connects to <paramref name="address"/> (an <c>http://host:port</c> URL) for calls to <paramref name="path"/>, e.g. <c>/etcdserverpb.KV/Put</c>.</summary>
    public static DirectUnaryConnection Open(string address, string path, TimeSpan timeout)
    {
        var url = new Uri(address);
        if (!string.Equals(url.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"the direct client speaks cleartext HTTP/2 only, not {url.Scheme}", nameof(address));
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.ReceiveTimeout = socket.SendTimeout = (int)timeout.TotalMilliseconds;
            socket.Connect(url.IdnHost, url.Port);
            var connection = new DirectUnaryConnection(socket, url, path);
            connection.SendOpening();
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes one call with <paramref name="request"/> and waits for its end. Returns the gRPC status code (0 is OK)
    /// and the server's message for any other; throws <see cref="IOException"/> or <see cref="SocketException"/>
    /// when the connection fails, after which it must not be used again.
    /// </summary>
    public (int Status, string? Message) Call(IMessage request)
    {
        _streamId = _nextStreamId;
        _nextStreamId += 2;
        _streamSendWindow = _peerInitialWindow;
        _grpcStatus = null;
        _grpcMessage = null;

        var size = request.CalculateSize();
        var body = 5 + size;
        if (body > _peerMaxFrameSize)
        {
            throw new NotSupportedException($"a request of {body} bytes needs more than one DATA frame, which this client does not send");
        }

        while (_connectionSendWindow < body || _streamSendWindow < body)
        {
            ReadFrame();
        }

        var total = HeaderLength + _headerBlock.Length + HeaderLength + body;
        if (_send.Length < total)
        {
            _send = new byte[total];
        }

        var span = _send.AsSpan();
        new Http2Frame(_headerBlock.Length, Headers, EndHeaders, _streamId).Write(span);
        _headerBlock.CopyTo(span[HeaderLength..]);
        var at = HeaderLength + _headerBlock.Length;
        new Http2Frame(body, Data, EndStream, _streamId).Write(span[at..]);
        at += HeaderLength;
        span[at] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[(at + 1)..], (uint)size);
        request.WriteTo(span.Slice(at + 5, size));
        _connectionSendWindow -= body;
        _streamSendWindow -= body;
        SendAll(span[..total]);

        while (true)
        {
            if (ReadFrame())
            {
                return (_grpcStatus ?? 2, _grpcStatus is null ? "the stream ended without a grpc-status" : _grpcMessage);
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    void IHeaderFieldSink.OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
    {
        if (name.SequenceEqual("grpc-status"u8) && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
        {
            _grpcStatus = status;
        }
        else if (name.SequenceEqual("grpc-message"u8))
        {
            _grpcMessage = Uri.UnescapeDataString(Encoding.UTF8.GetString(value));
        }
    }

    void IHeaderFieldSink.OnTableSizeUpdate(int maxSize)
    {
    }

    /// <summary>The client preface, SETTINGS (no push, a 1 GiB stream window) and a connection WINDOW_UPDATE to 1 GiB.</summary>
    private void SendOpening()
    {
        var preface = ClientPreface;
        Span<byte> opening = stackalloc byte[preface.Length + HeaderLength + 12 + HeaderLength + 4];
        preface.CopyTo(opening);
        var at = preface.Length;
        new Http2Frame(12, Settings, 0, 0).Write(opening[at..]);
        at += HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(opening[at..], SettingsEnablePush);
        BinaryPrimitives.WriteUInt32BigEndian(opening[(at + 2)..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(opening[(at + 6)..], SettingsInitialWindowSize);
        BinaryPrimitives.WriteUInt32BigEndian(opening[(at + 8)..], ReceiveWindow);
        at += 12;
        new Http2Frame(4, WindowUpdate, 0, 0).Write(opening[at..]);
        BinaryPrimitives.WriteUInt32BigEndian(opening[(at + HeaderLength)..], ReceiveWindow - DefaultWindow);
        SendAll(opening);
    }

    /// <summary>Reads and handles one frame; true when it ended the call in progress.</summary>
    private bool ReadFrame()
    {
        Fill(HeaderLength);
        var frame = Http2Frame.Read(_read.AsSpan(_readStart, HeaderLength));
        Fill(HeaderLength + frame.Length);
        var payload = _read.AsSpan(_readStart + HeaderLength, frame.Length);
        _readStart += HeaderLength + frame.Length;

        switch (frame.Type)
        {
            case Data:
                _receivedSinceUpdate += frame.Length;
                if (_receivedSinceUpdate >= ReceiveWindow / 2)
                {
                    SendWindowUpdate(0, _receivedSinceUpdate);
                    _receivedSinceUpdate = 0;
                }

                return frame.StreamId == _streamId && (frame.Flags & EndStream) != 0;
            case Headers:
            case Continuation:
                return HeaderBlock(frame, payload);
            case Settings:
                if ((frame.Flags & Ack) == 0)
                {
                    ApplySettings(payload);
                    SendFrame(new Http2Frame(0, Settings, Ack, 0), default);
                }

                return false;
            case Ping:
                if ((frame.Flags & Ack) == 0)
                {
                    SendFrame(new Http2Frame(8, Ping, Ack, 0), payload);
                }

                return false;
            case WindowUpdate:
                var increment = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF;
                if (frame.StreamId == 0)
                {
                    _connectionSendWindow += increment;
                }
                else if (frame.StreamId == _streamId)
                {
                    _streamSendWindow += increment;
                }

                return false;
            case RstStream when frame.StreamId == _streamId:
                throw new IOException($"the server reset the stream (HTTP/2 error code {BinaryPrimitives.ReadUInt32BigEndian(payload)})");
            case GoAway:
                throw new IOException($"the server sent GOAWAY (HTTP/2 error code {BinaryPrimitives.ReadUInt32BigEndian(payload[4..])})");
            default:
                return false;
        }
    }

    /// <summary>A HEADERS or CONTINUATION frame: decodes the block once it is whole; true when it ended the call.</summary>
    private bool HeaderBlock(Http2Frame frame, ReadOnlySpan<byte> payload)
    {
        if (frame.Type == Headers)
        {
            var padding = 0;
            if ((frame.Flags & Padded) != 0)
            {
                padding = payload[0];
                payload = payload[1..];
            }

            if ((frame.Flags & Priority) != 0)
            {
                payload = payload[5..];
            }

            payload = payload[..^padding];
            _pendingBlock.ResetWrittenCount();
            _pendingEnds = frame.StreamId == _streamId && (frame.Flags & EndStream) != 0;
        }

        _pendingBlock.Write(payload);

        if ((frame.Flags & EndHeaders) == 0)
        {
            return false;
        }

        if (!_hpack.TryDecode(_pendingBlock.WrittenSpan, this))
        {
            throw new IOException("the server sent a header block this client cannot decode");
        }

        return _pendingEnds;
    }

    private void ApplySettings(ReadOnlySpan<byte> payload)
    {
        for (var at = 0; at + 6 <= payload.Length; at += 6)
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(payload[at..]);
            var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(at + 2)..]);
            if (id == SettingsInitialWindowSize)
            {
                _streamSendWindow += (long)value - _peerInitialWindow;
                _peerInitialWindow = (int)value;
            }
            else if (id == SettingsMaxFrameSize)
            {
                _peerMaxFrameSize = (int)value;
            }
        }
    }

    private void SendWindowUpdate(int streamId, long increment)
    {
        Span<byte> body = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(body, (uint)increment);
        SendFrame(new Http2Frame(4, WindowUpdate, 0, streamId), body);
    }

    private void SendFrame(Http2Frame frame, ReadOnlySpan<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[HeaderLength + payload.Length];
        frame.Write(bytes);
        payload.CopyTo(bytes[HeaderLength..]);
        SendAll(bytes);
    }

    private void SendAll(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered from <see cref="_readStart"/>.</summary>
    private void Fill(int count)
    {
        if (_readEnd - _readStart >= count)
        {
            return;
        }

        if (_readStart + count > _read.Length)
        {
            var buffered = _readEnd - _readStart;
            var target = count > _read.Length ? new byte[Math.Max(count, _read.Length * 2)] : _read;
            Buffer.BlockCopy(_read, _readStart, target, 0, buffered);
            _read = target;
            _readStart = 0;
            _readEnd = buffered;
        }

        while (_readEnd - _readStart < count)
        {
            var n = _socket.Receive(_read, _readEnd, _read.Length - _readEnd, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the server closed the connection");
            }

            _readEnd += n;
        }
    }
}
