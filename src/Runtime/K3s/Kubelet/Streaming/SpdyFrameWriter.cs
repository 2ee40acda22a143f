using System.Buffers.Binary;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Serializes SPDY/3 frames, compressing header blocks with the connection's one deflate stream (so frames must be
/// serialized in the order they are sent). One writer per connection; the caller serializes calls.
/// </summary>
internal sealed class SpdyFrameWriter : IDisposable
{
    private readonly SpdyHeaderDeflater _deflater = new();

    /// <summary>The frame's bytes on the wire.</summary>
    /// <exception cref="ArgumentException">A payload longer than a frame can carry.</exception>
    public byte[] Serialize(SpdyFrame frame)
    {
        if (frame.Type == SpdyFrameType.Data)
        {
            if (frame.Payload.Length > SpdyFrame.MaxLength)
            {
                throw new ArgumentException("a data frame carries at most 16 MiB - 1", nameof(frame));
            }

            var data = new byte[8 + frame.Payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(data, frame.StreamId & 0x7FFFFFFF);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), ((uint)frame.Flags << 24) | (uint)frame.Payload.Length);
            frame.Payload.Span.CopyTo(data.AsSpan(8));
            return data;
        }

        byte[] fields;
        switch (frame.Type)
        {
            case SpdyFrameType.SynStream:
                var block = _deflater.Deflate(frame.Headers ?? new SpdyHeaders());
                fields = new byte[10 + block.Length];
                BinaryPrimitives.WriteUInt32BigEndian(fields, frame.StreamId & 0x7FFFFFFF);
                BinaryPrimitives.WriteUInt32BigEndian(fields.AsSpan(4), frame.AssociatedStreamId & 0x7FFFFFFF);
                fields[8] = (byte)(frame.Priority << 5);
                block.CopyTo(fields, 10);
                break;
            case SpdyFrameType.SynReply or SpdyFrameType.Headers:
                var reply = _deflater.Deflate(frame.Headers ?? new SpdyHeaders());
                fields = new byte[4 + reply.Length];
                BinaryPrimitives.WriteUInt32BigEndian(fields, frame.StreamId & 0x7FFFFFFF);
                reply.CopyTo(fields, 4);
                break;
            case SpdyFrameType.RstStream or SpdyFrameType.WindowUpdate or SpdyFrameType.GoAway:
                fields = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(fields, frame.StreamId & 0x7FFFFFFF);
                BinaryPrimitives.WriteUInt32BigEndian(fields.AsSpan(4), frame.Value);
                break;
            case SpdyFrameType.Ping:
                fields = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(fields, frame.Value);
                break;
            case SpdyFrameType.Settings:
                fields = frame.Payload.Length > 0 ? frame.Payload.ToArray() : new byte[4];
                break;
            default:
                throw new ArgumentException($"cannot serialize a {frame.Type} frame", nameof(frame));
        }

        var bytes = new byte[8 + fields.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, 0x8000 | SpdyFrame.Version);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)frame.Type);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), ((uint)frame.Flags << 24) | (uint)fields.Length);
        fields.CopyTo(bytes, 8);
        return bytes;
    }

    public void Dispose() => _deflater.Dispose();
}
