using System.Buffers.Binary;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// Decides whether damage at the end of the last segment is a torn tail or corruption: is there a valid record anywhere
/// after it? A record counts as valid when its checksum chains from the damaged record (from the checksum stored in the
/// damaged record, or the one its bytes compute to, whichever field the damage hit) or when it and the record after it
/// chain to each other. Candidates must look like records first (a known type, a length that fits, an entry index
/// near the log's end), so the scan is linear and random bytes almost never cost a checksum.
/// A write torn with a hole in it (a later page of an unacknowledged batch reached the disk, an earlier one did not)
/// also counts as corruption: refusing to start is the safe side of that ambiguity.
/// </summary>
internal static class WalTailProbe
{
    private const int MinEntryRecord = WalFrame.HeaderSize + WalCodec.EntryFixedSize;

    public static bool ValidRecordFollows(ReadOnlySpan<byte> file, WalFrame damaged, ulong lastIndex, int maxRecordSize)
    {
        Span<uint> seeds = stackalloc uint[2];
        var count = 0;
        if (damaged.Offset + 8 <= file.Length)
        {
            seeds[count++] = BinaryPrimitives.ReadUInt32LittleEndian(file[(damaged.Offset + 4)..]);
        }

        if (damaged.Status == WalFrameStatus.BadCrc)
        {
            seeds[count++] = damaged.ComputedCrc;
        }

        for (var p = damaged.Offset + 1; p + WalFrame.HeaderSize <= file.Length; p++)
        {
            if (!LooksLikeRecord(file, p, lastIndex, maxRecordSize, out var size))
            {
                continue;
            }

            foreach (var seed in seeds[..count])
            {
                if (WalCodec.ReadFrame(file, p, seed, maxRecordSize).Status == WalFrameStatus.Valid)
                {
                    return true;
                }
            }

            var next = p + size;
            if (LooksLikeRecord(file, next, lastIndex, maxRecordSize, out _) &&
                WalCodec.ReadFrame(file, next, BinaryPrimitives.ReadUInt32LittleEndian(file[(p + 4)..]), maxRecordSize).Status == WalFrameStatus.Valid)
            {
                return true;
            }
        }

        return false;
    }

    private static bool LooksLikeRecord(ReadOnlySpan<byte> file, int p, ulong lastIndex, int maxRecordSize, out int size)
    {
        size = 0;
        if (p + WalFrame.HeaderSize > file.Length)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(file[p..]);
        if (length == 0 || length > (uint)maxRecordSize || p + 8L + length > file.Length)
        {
            return false;
        }

        size = (int)length + 8;
        return (WalRecordType)file[p + 8] switch
        {
            WalRecordType.HardState => length == 1 + WalCodec.HardStateSize,
            WalRecordType.SnapshotMarker => length == 1 + WalCodec.MarkerSize,
            WalRecordType.Entry => size >= MinEntryRecord && PlausibleIndex(BinaryPrimitives.ReadUInt64LittleEndian(file[(p + WalFrame.HeaderSize)..]), lastIndex, file.Length - p),
            _ => false,
        };
    }

    private static bool PlausibleIndex(ulong index, ulong lastIndex, int remaining) =>
        index >= 1 && index <= lastIndex + 1 + (ulong)(remaining / MinEntryRecord);
}
