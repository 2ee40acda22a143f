using System.Buffers.Binary;

namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// The HTTP/2 frame layout (RFC 9113 section 4.1): a 9-octet header (24-bit payload length, type, flags, reserved
/// bit and 31-bit stream id), then the payload; and the client connection preface (section 3.4).
/// </summary>
internal readonly record struct Http2Frame(int Length, byte Type, byte Flags, int StreamId)
{
    public const int HeaderLength = 9;

    /// <summary>SETTINGS_MAX_FRAME_SIZE's initial value, the size every peer must accept (section 6.5.2).</summary>
    public const int DefaultMaxFrameSize = 16_384;

    // Frame types (section 6).
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte WindowUpdate = 0x8;
    public const byte Continuation = 0x9;

    // Flags; ACK is SETTINGS' and PING's, the others DATA's and HEADERS'.
    public const byte Ack = 0x1;
    public const byte EndStream = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;

    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static Http2Frame Read(ReadOnlySpan<byte> header) => new(
        header[0] << 16 | header[1] << 8 | header[2],
        header[3],
        header[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF));

    public void Write(Span<byte> header)
    {
        header[0] = (byte)(Length >> 16);
        header[1] = (byte)(Length >> 8);
        header[2] = (byte)Length;
        header[3] = Type;
        header[4] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], (uint)StreamId);
    }
}
