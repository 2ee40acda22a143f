using System.Buffers.Binary;
using System.Numerics;

namespace K3sLab.K3s.Replication.State;

/// <summary>CRC-32C (Castagnoli) steps on the hardware instruction, eight bytes at a time; the same value as feeding the bytes one by one.</summary>
internal static class Crc32C
{
    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[8..];
        }

        foreach (var b in bytes)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
