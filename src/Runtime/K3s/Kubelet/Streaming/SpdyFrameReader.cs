using System.Buffers.Binary;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Reads SPDY/3 frames from a byte stream, inflating header blocks with the connection's one inflate stream. The
/// frame layout (draft 3, section 2.2): a control frame is <c>1 | version(15) | type(16) | flags(8) | length(24)</c>
/// then its fields; a data frame is <c>0 | stream id(31) | flags(8) | length(24)</c> then the bytes. Unknown control
/// types are skipped as the draft asks. One reader per connection; not thread-safe.
/// </summary>
internal sealed class SpdyFrameReader(Stream input) : IDisposable
{
    private readonly SpdyHeaderInflater _inflater = new();
    private readonly byte[] _head = new byte[8];

    /// <summary>The next frame, or null at the end of the stream (between frames).</summary>
    /// <exception cref="SpdyProtocolException">A malformed frame.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public async Task<SpdyFrame?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var first = await input.ReadAtLeastAsync(_head, _head.Length, throwOnEndOfStream: false, ct);
            if (first == 0)
            {
                return null;
            }

            if (first < _head.Length)
            {
                throw new EndOfStreamException("the connection ended inside a SPDY frame header");
            }

            var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(_head.AsSpan(4)) & 0xFFFFFF);
            var body = new byte[length];
            await input.ReadExactlyAsync(body, ct);
            if (Parse(_head, body) is { } frame)
            {
                return frame;
            }
        }
    }

    /// <summary>Decodes one frame from its 8-byte head and its body; null for a control type this codec skips.</summary>
    internal SpdyFrame? Parse(ReadOnlySpan<byte> head, byte[] body)
    {
        var flags = head[4];
        if ((head[0] & 0x80) == 0)
        {
            var id = BinaryPrimitives.ReadUInt32BigEndian(head) & 0x7FFFFFFF;
            return SpdyFrame.Data(id, body, (flags & SpdyFrame.FlagFin) != 0);
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(head) & 0x7FFF;
        if (version != SpdyFrame.Version)
        {
            throw new SpdyProtocolException($"SPDY version {version} is not supported (only 3)");
        }

        var type = (SpdyFrameType)BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        var span = body.AsSpan();
        switch (type)
        {
            case SpdyFrameType.SynStream:
                Need(span, 10, type);
                return new SpdyFrame(type, flags, Id(span), Headers: Headers(span[10..]), AssociatedStreamId: Id(span[4..]), Priority: (byte)(span[8] >> 5));
            case SpdyFrameType.SynReply or SpdyFrameType.Headers:
                Need(span, 4, type);
                return new SpdyFrame(type, flags, Id(span), Headers: Headers(span[4..]));
            case SpdyFrameType.RstStream or SpdyFrameType.WindowUpdate or SpdyFrameType.GoAway:
                Need(span, 8, type);
                return new SpdyFrame(type, flags, Id(span), Value: BinaryPrimitives.ReadUInt32BigEndian(span[4..]));
            case SpdyFrameType.Ping:
                Need(span, 4, type);
                return new SpdyFrame(type, flags, 0, Value: BinaryPrimitives.ReadUInt32BigEndian(span));
            case SpdyFrameType.Settings:
                return new SpdyFrame(type, flags, 0, Payload: body);
            default:
                return null;
        }
    }

    public void Dispose() => _inflater.Dispose();

    private SpdyHeaders Headers(ReadOnlySpan<byte> compressed) => SpdyHeaders.Decode(_inflater.Inflate(compressed));

    private static uint Id(ReadOnlySpan<byte> span) => BinaryPrimitives.ReadUInt32BigEndian(span) & 0x7FFFFFFF;

    private static void Need(ReadOnlySpan<byte> body, int length, SpdyFrameType type)
    {
        if (body.Length < length)
        {
            throw new SpdyProtocolException($"a {type} frame of {body.Length} bytes (at least {length} needed)");
        }
    }
}
