using System.Buffers;
using System.Buffers.Binary;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>The hand-written little-endian encoding of WAL records and their framing (see <see cref="WalFrame"/>).</summary>
internal static class WalCodec
{
    public const int EntryFixedSize = 8 + 8 + 1;
    public const int HardStateSize = 8 + 8 + 8;
    public const int MarkerSize = 8 + 8;

    /// <summary>Appends a header record, whose checksum starts from 0; returns that checksum.</summary>
    public static uint AppendHeader(IBufferWriter<byte> buffer, WalSegmentHeader header)
    {
        var span = Begin(buffer, WalSegmentHeader.Size);
        var p = span[WalFrame.HeaderSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(p, WalSegmentHeader.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(p[4..], WalSegmentHeader.Version);
        BinaryPrimitives.WriteUInt64LittleEndian(p[6..], header.Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(p[14..], header.FirstIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(p[22..], header.Metadata.MemberId);
        BinaryPrimitives.WriteUInt64LittleEndian(p[30..], header.Metadata.ClusterId);
        BinaryPrimitives.WriteUInt32LittleEndian(p[38..], header.PreviousCrc);
        return End(buffer, span, 0, WalRecordType.SegmentHeader);
    }

    public static uint AppendEntry(IBufferWriter<byte> buffer, uint previousCrc, WalEntry entry)
    {
        var span = Begin(buffer, EntryFixedSize + entry.Data.Length);
        var p = span[WalFrame.HeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(p, entry.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], entry.Term);
        p[16] = entry.Type;
        entry.Data.Span.CopyTo(p[EntryFixedSize..]);
        return End(buffer, span, previousCrc, WalRecordType.Entry);
    }

    public static uint AppendHardState(IBufferWriter<byte> buffer, uint previousCrc, HardState state)
    {
        var span = Begin(buffer, HardStateSize);
        var p = span[WalFrame.HeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(p, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], state.Commit);
        return End(buffer, span, previousCrc, WalRecordType.HardState);
    }

    public static uint AppendMarker(IBufferWriter<byte> buffer, uint previousCrc, SnapshotMarker marker)
    {
        var span = Begin(buffer, MarkerSize);
        var p = span[WalFrame.HeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(p, marker.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], marker.Term);
        return End(buffer, span, previousCrc, WalRecordType.SnapshotMarker);
    }

    /// <summary>Reads the framing at <paramref name="offset"/>, checking the checksum against <paramref name="previousCrc"/>.</summary>
    public static WalFrame ReadFrame(ReadOnlySpan<byte> file, int offset, uint previousCrc, int maxRecordSize)
    {
        var rest = file[offset..];
        if (rest.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(rest) == 0)
        {
            return new WalFrame(WalFrameStatus.Zero, offset, 0, 0, 0, 0);
        }

        if (rest.Length < WalFrame.HeaderSize)
        {
            return new WalFrame(WalFrameStatus.PastEnd, offset, 0, 0, 0, 0);
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
        var type = (WalRecordType)rest[8];
        if (length > (uint)maxRecordSize)
        {
            return new WalFrame(WalFrameStatus.TooLong, offset, 0, stored, 0, type);
        }

        if (length + 8L > rest.Length)
        {
            return new WalFrame(WalFrameStatus.PastEnd, offset, (int)length, stored, 0, type);
        }

        var computed = Crc32C.Append(Crc32C.Append(previousCrc, rest[..4]), rest.Slice(8, (int)length));
        return new WalFrame(computed == stored ? WalFrameStatus.Valid : WalFrameStatus.BadCrc, offset, (int)length, stored, computed, type);
    }

    /// <summary>Decodes a header payload; null if it is not one this version writes.</summary>
    public static WalSegmentHeader? ReadHeader(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != WalSegmentHeader.Size || BinaryPrimitives.ReadUInt32LittleEndian(payload) != WalSegmentHeader.Magic ||
            BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]) != WalSegmentHeader.Version)
        {
            return null;
        }

        return new WalSegmentHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(payload[6..]),
            BinaryPrimitives.ReadUInt64LittleEndian(payload[14..]),
            new WalMetadata(BinaryPrimitives.ReadUInt64LittleEndian(payload[22..]), BinaryPrimitives.ReadUInt64LittleEndian(payload[30..])),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[38..]));
    }

    /// <summary>Decodes an entry payload; the data is a slice of <paramref name="file"/>, not a copy.</summary>
    public static WalEntry? ReadEntry(ReadOnlyMemory<byte> file, WalFrame frame)
    {
        if (frame.PayloadLength < EntryFixedSize)
        {
            return null;
        }

        var p = file.Span.Slice(frame.PayloadOffset, frame.PayloadLength);
        return new WalEntry(BinaryPrimitives.ReadUInt64LittleEndian(p), BinaryPrimitives.ReadUInt64LittleEndian(p[8..]), p[16],
            file.Slice(frame.PayloadOffset + EntryFixedSize, frame.PayloadLength - EntryFixedSize));
    }

    public static HardState? ReadHardState(ReadOnlySpan<byte> payload) => payload.Length != HardStateSize ? null :
        new HardState(BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]), BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]));

    public static SnapshotMarker? ReadMarker(ReadOnlySpan<byte> payload) => payload.Length != MarkerSize ? null :
        new SnapshotMarker(BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]));

    private static Span<byte> Begin(IBufferWriter<byte> buffer, int payloadLength) =>
        buffer.GetSpan(WalFrame.HeaderSize + payloadLength)[..(WalFrame.HeaderSize + payloadLength)];

    private static uint End(IBufferWriter<byte> buffer, Span<byte> span, uint previousCrc, WalRecordType type)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)(span.Length - 8));
        span[8] = (byte)type;
        var crc = Crc32C.Append(Crc32C.Append(previousCrc, span[..4]), span[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], crc);
        buffer.Advance(span.Length);
        return crc;
    }
}
