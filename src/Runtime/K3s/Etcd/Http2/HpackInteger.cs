namespace K3sLab.K3s.Etcd.Http2;

/// <summary>HPACK's prefixed integers (RFC 7541 section 5.1), limited to what fits an <see cref="int"/>.</summary>
internal static class HpackInteger
{
    /// <summary>
    /// Reads an integer whose first octet, at <paramref name="position"/>, keeps its low <paramref name="prefixBits"/>
    /// bits for it; false when the block ends inside it or it exceeds <see cref="int.MaxValue"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> block, ref int position, int prefixBits, out int value)
    {
        value = 0;
        if (position >= block.Length)
        {
            return false;
        }

        var max = (1 << prefixBits) - 1;
        long result = block[position++] & max;
        if (result < max)
        {
            value = (int)result;
            return true;
        }

        for (var shift = 0; shift <= 28; shift += 7)
        {
            if (position >= block.Length)
            {
                return false;
            }

            var octet = block[position++];
            result += (long)(octet & 0x7F) << shift;
            if (result > int.MaxValue)
            {
                return false;
            }

            if ((octet & 0x80) == 0)
            {
                value = (int)result;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes <paramref name="value"/> with a <paramref name="prefixBits"/>-bit prefix, the first octet's high bits set
    /// to <paramref name="flags"/>; returns the bytes written (at most 6). The destination must have room.
    /// </summary>
    public static int Write(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | max);
        var rest = (uint)(value - max);
        var written = 1;
        while (rest >= 0x80)
        {
            destination[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        destination[written++] = (byte)rest;
        return written;
    }
}
