using System.Buffers.Binary;
using System.Globalization;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The snapshot file format, little-endian: <c>"K3SN" u32 | version u16 | index u64 | term u64 | voter count u32 |
/// voters u64… | learner count u32 | learners u64… | data length u64 | data | crc u32</c>, the CRC-32C over everything
/// before it.
/// </summary>
internal static class SnapshotCodec
{
    public const string Extension = ".snap";
    public const uint Magic = 0x4E53334B;
    public const ushort Version = 1;

    /// <summary>The whole file in one array: the format in one place beside <see cref="Decode"/>, and the reference the tests hold <see cref="SnapshotStore"/>'s streamed files to.</summary>
    public static byte[] Encode(SnapshotFile snapshot)
    {
        var header = EncodeHeader(snapshot);
        var bytes = new byte[header.Length + snapshot.Data.Length + 4];
        header.CopyTo(bytes, 0);
        snapshot.Data.Span.CopyTo(bytes.AsSpan(header.Length));
        var crc = Crc32C.Append(Crc32C.Append(0, header), snapshot.Data.Span);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(^4), crc);
        return bytes;
    }

    /// <summary>Everything before the data: magic, version, index, term, members and the data length.</summary>
    public static byte[] EncodeHeader(SnapshotFile snapshot) => EncodeHeader(snapshot.Marker, snapshot.Voters, snapshot.Learners, snapshot.Data.Length);

    /// <summary>Everything before the data of a snapshot whose data is <paramref name="dataLength"/> bytes.</summary>
    public static byte[] EncodeHeader(SnapshotMarker marker, IReadOnlyList<ulong> voters, IReadOnlyList<ulong> learners, long dataLength)
    {
        var size = 4 + 2 + 8 + 8 + 4 + (8 * voters.Count) + 4 + (8 * learners.Count) + 8;
        var bytes = new byte[size];
        var p = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(p, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(p[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(p[6..], marker.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[14..], marker.Term);
        var at = 22;
        foreach (var ids in new[] { voters, learners })
        {
            BinaryPrimitives.WriteUInt32LittleEndian(p[at..], (uint)ids.Count);
            at += 4;
            foreach (var id in ids)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(p[at..], id);
                at += 8;
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(p[at..], (ulong)dataLength);
        return bytes;
    }

    /// <summary>Decodes a snapshot file; null with the reason if it is damaged.</summary>
    public static SnapshotFile? Decode(byte[] bytes, out string? problem)
    {
        problem = null;
        if (bytes.Length < 4 + 2 + 8 + 8 + 4 + 4 + 8 + 4)
        {
            problem = "the file is shorter than a snapshot header";
            return null;
        }

        var p = bytes.AsSpan();
        if (Crc32C.Append(0, p[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(p[^4..]))
        {
            problem = "the checksum does not match";
            return null;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(p) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(p[4..]) != Version)
        {
            problem = "not a snapshot this version writes";
            return null;
        }

        var index = BinaryPrimitives.ReadUInt64LittleEndian(p[6..]);
        var term = BinaryPrimitives.ReadUInt64LittleEndian(p[14..]);
        var at = 22;
        var voters = ReadIds(p, ref at);
        var learners = voters is null ? null : ReadIds(p, ref at);
        if (learners is null || at + 8 > p.Length - 4)
        {
            problem = "the member lists run past the end";
            return null;
        }

        var length = BinaryPrimitives.ReadUInt64LittleEndian(p[at..]);
        at += 8;
        if (length != (ulong)(p.Length - 4 - at))
        {
            problem = "the data length does not match the file";
            return null;
        }

        return new SnapshotFile(index, term, voters!, learners, bytes.AsMemory(at, (int)length));
    }

    /// <summary>Parses <c>&lt;term&gt;-&lt;index&gt;.snap</c>.</summary>
    public static bool TryParseName(string fileName, out SnapshotMarker marker)
    {
        marker = default;
        if (fileName.Length != 33 + Extension.Length || !fileName.EndsWith(Extension, StringComparison.Ordinal) || fileName[16] != '-' ||
            !ulong.TryParse(fileName.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var term) ||
            !ulong.TryParse(fileName.AsSpan(17, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }

        marker = new SnapshotMarker(index, term);
        return true;
    }

    private static ulong[]? ReadIds(ReadOnlySpan<byte> p, ref int at)
    {
        if (at + 4 > p.Length - 4)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(p[at..]);
        at += 4;
        if (count > (uint)((p.Length - 4 - at) / 8))
        {
            return null;
        }

        var ids = new ulong[count];
        for (var i = 0; i < ids.Length; i++, at += 8)
        {
            ids[i] = BinaryPrimitives.ReadUInt64LittleEndian(p[at..]);
        }

        return ids;
    }
}
