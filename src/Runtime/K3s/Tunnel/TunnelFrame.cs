using System.Buffers.Binary;
using System.Text;

namespace K3sLab.K3s.Tunnel;

/// <summary>The kind of a <see cref="TunnelFrame"/>; the byte value is the frame's first byte on the wire.</summary>
internal enum TunnelFrameType : byte
{
    /// <summary>Opener → peer: open a stream to the target named by the payload (UTF-8, e.g. <c>kubelet</c>).</summary>
    Open = 1,

    /// <summary>Peer → opener: the target is connected; both sides may now send data up to the initial window.</summary>
    Accept = 2,

    /// <summary>Either way: stream bytes, 1 to <see cref="TunnelFrame.MaxData"/> of them, within the receiver's window.</summary>
    Data = 3,

    /// <summary>Either way: the payload's 4-byte big-endian count of bytes the sender has consumed, returned as credit.</summary>
    Window = 4,

    /// <summary>Either way: the sender will send no more data on the stream (a half close, like TCP's FIN).</summary>
    Close = 5,

    /// <summary>Either way: the stream is gone in both directions; the payload is the reason (UTF-8). Answers a failed Open too.</summary>
    Reset = 6,
}

/// <summary>
/// One frame of the agent tunnel, carried as one binary WebSocket message:
/// <c>type (1 byte) | stream id (4 bytes, big-endian) | payload</c>. The protocol is ours at both ends (k3s uses
/// rancher/remotedialer); what it guarantees is written on <see cref="TunnelSession"/>. Pure.
/// </summary>
/// <param name="Type">What the frame does.</param>
/// <param name="StreamId">The stream it belongs to; the opener chooses ids (servers odd).</param>
/// <param name="Payload">The frame's bytes after the header.</param>
internal readonly record struct TunnelFrame(TunnelFrameType Type, uint StreamId, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The header's size: type and stream id.</summary>
    public const int HeaderSize = 5;

    /// <summary>The most data bytes one frame carries.</summary>
    public const int MaxData = 16 * 1024;

    /// <summary>The largest frame a peer may send; a larger message ends the session.</summary>
    public const int MaxFrame = HeaderSize + MaxData;

    /// <summary>The credit each side grants the other when a stream opens, per direction.</summary>
    public const int InitialWindow = 256 * 1024;

    /// <summary>Longest Open target or Reset reason, in bytes.</summary>
    public const int MaxText = 1024;

    public static TunnelFrame Open(uint id, string target) => new(TunnelFrameType.Open, id, Text(target));

    public static TunnelFrame Accept(uint id) => new(TunnelFrameType.Accept, id, ReadOnlyMemory<byte>.Empty);

    public static TunnelFrame Data(uint id, ReadOnlyMemory<byte> bytes) => new(TunnelFrameType.Data, id, bytes);

    public static TunnelFrame Close(uint id) => new(TunnelFrameType.Close, id, ReadOnlyMemory<byte>.Empty);

    public static TunnelFrame Reset(uint id, string reason) => new(TunnelFrameType.Reset, id, Text(reason));

    public static TunnelFrame Window(uint id, int credit)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, credit);
        return new(TunnelFrameType.Window, id, bytes);
    }

    /// <summary>The payload as text (Open's target, Reset's reason).</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>Window's credit; -1 when the payload is not 4 bytes.</summary>
    public int Credit => Payload.Length == 4 ? BinaryPrimitives.ReadInt32BigEndian(Payload.Span) : -1;

    /// <summary>The frame's wire form.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[HeaderSize + Payload.Length];
        bytes[0] = (byte)Type;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), StreamId);
        Payload.Span.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>
    /// Reads a frame from its wire form, or explains why it is not one: too short, too long, an unknown type, an
    /// empty Data frame or a Window that is not 4 bytes. The payload aliases <paramref name="message"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> message, out TunnelFrame frame, out string? error)
    {
        frame = default;
        error = null;
        if (message.Length < HeaderSize || message.Length > MaxFrame)
        {
            error = $"a tunnel frame has {HeaderSize} to {MaxFrame} bytes, this one {message.Length}";
            return false;
        }

        var type = (TunnelFrameType)message.Span[0];
        var payload = message[HeaderSize..];
        var id = BinaryPrimitives.ReadUInt32BigEndian(message.Span[1..]);
        error = type switch
        {
            < TunnelFrameType.Open or > TunnelFrameType.Reset => $"unknown tunnel frame type {(byte)type}",
            TunnelFrameType.Data when payload.IsEmpty => "an empty data frame",
            TunnelFrameType.Window when payload.Length != 4 => "a window frame without a 4-byte credit",
            TunnelFrameType.Open or TunnelFrameType.Reset when payload.Length > MaxText => "an open or reset text over 1024 bytes",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }

        frame = new TunnelFrame(type, id, payload);
        return true;
    }

    private static byte[] Text(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length <= MaxText ? bytes : bytes[..MaxText];
    }
}
