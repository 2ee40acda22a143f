using System.Buffers;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// Appends the codec's primitives: LEB128 varints (zigzag for signed numbers), length-prefixed byte strings and
/// single bytes. Little-endian by construction, no reflection.
/// </summary>
internal readonly struct WireWriter(ArrayBufferWriter<byte> buffer)
{
    public void Byte(byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    public void Unsigned(ulong value)
    {
        var span = buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    public void Signed(long value) => Unsigned((ulong)((value << 1) ^ (value >> 63)));

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Unsigned((ulong)value.Length);
        buffer.Write(value);
    }
}
