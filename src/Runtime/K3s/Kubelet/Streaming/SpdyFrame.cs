namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>SPDY/3 control frame types (draft 3, section 2.6).</summary>
internal enum SpdyFrameType : ushort
{
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}

/// <summary>
/// One SPDY/3 frame, decoded: a data frame (<see cref="SpdyFrameType.Data"/>, with <see cref="Payload"/>) or a
/// control frame. Header blocks are already decompressed into <see cref="Headers"/>. Fields a type does not have are
/// zero or empty.
/// </summary>
/// <param name="Type">The control frame type, or <see cref="SpdyFrameType.Data"/>.</param>
/// <param name="Flags">FLAG_FIN (0x01) and FLAG_UNIDIRECTIONAL (0x02) where they apply.</param>
/// <param name="StreamId">The stream (31 bits); for GOAWAY the last good stream id; 0 for PING and SETTINGS.</param>
/// <param name="Payload">A data frame's bytes.</param>
/// <param name="Headers">The name/value block of SYN_STREAM, SYN_REPLY and HEADERS (names lowercased).</param>
/// <param name="Value">RST_STREAM and GOAWAY status, PING id, WINDOW_UPDATE delta.</param>
/// <param name="AssociatedStreamId">SYN_STREAM's associated-to stream id.</param>
/// <param name="Priority">SYN_STREAM's 3-bit priority.</param>
internal sealed record SpdyFrame(
    SpdyFrameType Type,
    byte Flags,
    uint StreamId,
    ReadOnlyMemory<byte> Payload = default,
    SpdyHeaders? Headers = null,
    uint Value = 0,
    uint AssociatedStreamId = 0,
    byte Priority = 0)
{
    /// <summary>FLAG_FIN: the sender will send nothing more on the stream.</summary>
    public const byte FlagFin = 0x01;

    /// <summary>The SPDY version this codec speaks.</summary>
    public const ushort Version = 3;

    /// <summary>The largest length a frame's 24-bit length field can carry.</summary>
    public const int MaxLength = (1 << 24) - 1;

    /// <summary>RST_STREAM status PROTOCOL_ERROR.</summary>
    public const uint ProtocolError = 1;

    /// <summary>RST_STREAM status REFUSED_STREAM.</summary>
    public const uint RefusedStream = 3;

    /// <summary>RST_STREAM status CANCEL.</summary>
    public const uint Cancel = 5;

    public bool Fin => (Flags & FlagFin) != 0;

    public static SpdyFrame Data(uint streamId, ReadOnlyMemory<byte> payload, bool fin = false) => new(SpdyFrameType.Data, fin ? FlagFin : (byte)0, streamId, payload);

    public static SpdyFrame SynReply(uint streamId, SpdyHeaders headers, bool fin = false) => new(SpdyFrameType.SynReply, fin ? FlagFin : (byte)0, streamId, Headers: headers);

    public static SpdyFrame Reset(uint streamId, uint status) => new(SpdyFrameType.RstStream, 0, streamId, Value: status);

    public static SpdyFrame Ping(uint id) => new(SpdyFrameType.Ping, 0, 0, Value: id);

    public static SpdyFrame GoAway(uint lastGoodStreamId, uint status = 0) => new(SpdyFrameType.GoAway, 0, lastGoodStreamId, Value: status);
}
