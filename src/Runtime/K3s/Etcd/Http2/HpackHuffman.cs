namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// Decodes HPACK's Huffman-coded string literals (RFC 7541 section 5.2, code in Appendix B). The code is canonical:
/// within one length, codes count up in symbol order, and each length starts where the previous one ended, shifted
/// left. So the table below holds only each symbol's code length, and the codes are rebuilt from it.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;

    /// <summary>Code length in bits of each symbol 0..255 and EOS (256), from RFC 7541 Appendix B.</summary>
    private static ReadOnlySpan<byte> Lengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // ' ' - '/'
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // '0' - '?'
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // '@' - 'O'
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 'P' - '_'
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // '`' - 'o'
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 'p' - 127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
        30, // EOS
    ];

    private const int MinLength = 5;
    private const int MaxLength = 30;

    // For each length L: the first code of that length, left-aligned in 32 bits (_start), the end of that length's
    // range, left-aligned (_limit; ranges grow with L, so the first L whose limit is above a window is its length),
    // and where that length's symbols begin in _symbols.
    private static readonly uint[] Start = new uint[MaxLength + 1];
    private static readonly ulong[] Limit = new ulong[MaxLength + 1];
    private static readonly int[] Offset = new int[MaxLength + 1];
    private static readonly ushort[] Symbols = BuildTables();

    /// <summary>The canonical code of <paramref name="symbol"/> (0..256), right-aligned, and its length: for tests.</summary>
    public static (uint Code, int Length) CodeOf(int symbol)
    {
        var length = Lengths[symbol];
        var rank = Symbols.AsSpan(Offset[length]).IndexOf((ushort)symbol);
        return ((uint)((Start[length] >> (32 - length)) + rank), length);
    }

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="MaxDecodedLength"/>
    /// bytes). False when the input is not a valid encoding: EOS inside the string, or padding longer than 7 bits or
    /// not all ones (RFC 7541 section 5.2).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        ulong bits = 0; // left-aligned at bit 63
        var count = 0;
        var next = 0;
        while (true)
        {
            while (count <= 56 && next < source.Length)
            {
                bits |= (ulong)source[next++] << (56 - count);
                count += 8;
            }

            if (count == 0)
            {
                return true;
            }

            var window = (uint)(bits >> 32);
            if (next == source.Length && count <= 7 && window >> (32 - count) == (1u << count) - 1)
            {
                // The rest is padding: the most significant bits of EOS, all ones. No code that short is all ones.
                return true;
            }

            var length = MinLength;
            while (length <= MaxLength && window >= Limit[length])
            {
                length++;
            }

            if (length > MaxLength || length > count)
            {
                return false;
            }

            var symbol = Symbols[Offset[length] + (int)((window - Start[length]) >> (32 - length))];
            if (symbol == Eos || written == destination.Length)
            {
                return false;
            }

            destination[written++] = (byte)symbol;
            bits <<= length;
            count -= length;
        }
    }

    /// <summary>The most bytes <paramref name="encodedLength"/> Huffman-coded bytes can decode to (5-bit codes).</summary>
    public static int MaxDecodedLength(int encodedLength) => (int)((encodedLength * 8L + 4) / 5);

    private static ushort[] BuildTables()
    {
        var lengths = Lengths;
        var symbols = new ushort[lengths.Length];
        var index = 0;
        ulong code = 0; // the next code, left-aligned in 32 bits, as a 64-bit value so the last limit can be 2^32
        for (var length = 1; length <= MaxLength; length++)
        {
            if (length >= MinLength)
            {
                Start[length] = (uint)code;
                Offset[length] = index;
            }

            for (var symbol = 0; symbol < lengths.Length; symbol++)
            {
                if (lengths[symbol] == length)
                {
                    symbols[index++] = (ushort)symbol;
                    code += 1UL << (32 - length);
                }
            }

            if (length >= MinLength)
            {
                Limit[length] = code;
            }
        }

        return symbols;
    }
}
