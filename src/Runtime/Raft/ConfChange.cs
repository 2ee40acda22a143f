using System.Buffers.Binary;

namespace K3sLab.Raft;

/// <summary>
/// A membership change proposed with <see cref="RaftNode.ProposeConfChange"/> and applied with
/// <see cref="RaftNode.ApplyConfChange"/>. <see cref="Context"/> is opaque to Raft (a host may put the member's address there).
/// </summary>
/// <remarks>
/// Wire form (<see cref="Encode"/>), as stored in a <see cref="EntryType.ConfChange"/> entry:
/// byte 0 format version (1); byte 1 <see cref="ConfChangeType"/>; bytes 2..9 <see cref="NodeId"/> little-endian;
/// bytes 10.. <see cref="Context"/>. Any other shape is refused by <see cref="Decode"/>.
/// </remarks>
public sealed record ConfChange(ConfChangeType Type, ulong NodeId, byte[] Context)
{
    private const byte FormatVersion = 1;
    private const int HeaderLength = 10;

    /// <summary>Encodes this change for a log entry.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[HeaderLength + Context.Length];
        bytes[0] = FormatVersion;
        bytes[1] = (byte)Type;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(2, 8), NodeId);
        Context.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote.</summary>
    /// <exception cref="FormatException">The bytes are not an encoded change of a known version and type.</exception>
    public static ConfChange Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength || bytes[0] != FormatVersion)
        {
            throw new FormatException($"not an encoded conf change (length {bytes.Length}, version byte {(bytes.Length > 0 ? bytes[0] : -1)}; expected version {FormatVersion} and at least {HeaderLength} bytes)");
        }
        var type = (ConfChangeType)bytes[1];
        if (!Enum.IsDefined(type))
        {
            throw new FormatException($"unknown conf change type {bytes[1]}");
        }
        return new ConfChange(type, BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(2, 8)), bytes[HeaderLength..].ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type} {NodeId}";
}
