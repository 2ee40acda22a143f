using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the WAL and snapshot files. System.IO.Hashing
/// is a package, not part of the shared framework, and the SSE4.2 and ARMv8 CRC instructions compute exactly this
/// polynomial, so the hardware path is a few lines; the table is the fallback.
/// <see cref="Append"/> continues a finished checksum: Append(Append(0, a), b) equals Append(0, a + b), which is what
/// lets the WAL chain each record's checksum onto the previous one.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The checksum of <paramref name="data"/> continued from the finished checksum <paramref name="crc"/> (0 to start).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = c;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            c = (uint)wide;
            foreach (var b in data)
            {
                c = Sse42.Crc32(c, b);
            }
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                c = Crc32.Arm64.ComputeCrc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            foreach (var b in data)
            {
                c = Crc32.ComputeCrc32C(c, b);
            }
        }
        else
        {
            foreach (var b in data)
            {
                c = Table[(byte)(c ^ b)] ^ (c >> 8);
            }
        }

        return ~c;
    }

    /// <summary>The table-driven computation alone, so tests can check the hardware path against it.</summary>
    internal static uint AppendSoftware(uint crc, ReadOnlySpan<byte> data)
    {
        var c = ~crc;
        foreach (var b in data)
        {
            c = Table[(byte)(c ^ b)] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
