using System.Text;
using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

[Trait("Category", "Unit")]
public sealed class HpackHuffmanTests
{
    [Theory]
    // RFC 7541 Appendix C.4 and C.6.
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com")]
    [InlineData("a8eb 1064 9cbf", "no-cache")]
    [InlineData("25a8 49e9 5ba9 7d7f", "custom-key")]
    [InlineData("25a8 49e9 5bb8 e8b4 bf", "custom-value")]
    [InlineData("6402", "302")]
    [InlineData("aec3 771a 4b", "private")]
    [InlineData("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT")]
    [InlineData("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com")]
    [InlineData("", "")]
    public void TryDecode_RfcExamples_Decodes(string encoded, string expected)
    {
        var source = Hex.Bytes(encoded);
        var destination = new byte[HpackHuffman.MaxDecodedLength(source.Length)];

        HpackHuffman.TryDecode(source, destination, out var written).Should().BeTrue();

        Encoding.ASCII.GetString(destination, 0, written).Should().Be(expected);
    }

    [Theory]
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff")] // eight more bits of padding
    [InlineData("00")] // '0' then three padding bits that are not ones
    [InlineData("ffff fffc")] // EOS (30 ones) inside the string
    [InlineData("fe")] // the first eight bits of a 10-bit code: the string ends inside a symbol
    public void TryDecode_InvalidEncoding_Fails(string encoded)
    {
        var source = Hex.Bytes(encoded);

        HpackHuffman.TryDecode(source, new byte[64], out _).Should().BeFalse();
    }

    [Theory]
    // Codes as RFC 7541 Appendix B lists them, right-aligned.
    [InlineData(0, 0x1ff8u, 13)]
    [InlineData(1, 0x7fffd8u, 23)]
    [InlineData(10, 0x3ffffffcu, 30)]
    [InlineData('0', 0x0u, 5)]
    [InlineData(' ', 0x14u, 6)]
    [InlineData('b', 0x23u, 6)]
    [InlineData('\\', 0x7fff0u, 19)]
    [InlineData(220, 0xffffffdu, 28)]
    [InlineData(255, 0x3ffffeeu, 26)]
    [InlineData(256, 0x3fffffffu, 30)]
    public void CodeOf_Symbol_MatchesAppendixB(int symbol, uint code, int length)
    {
        HpackHuffman.CodeOf(symbol).Should().Be((code, length));
    }

    [Fact]
    public void TryDecode_EveryByteEncodedWithTheTable_RoundTrips()
    {
        // Encode all 256 byte values with the table's own codes, then decode: every code is reachable and unique.
        var symbols = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var encoded = new List<byte>();
        ulong bits = 0;
        var count = 0;
        foreach (var symbol in symbols)
        {
            var (code, length) = HpackHuffman.CodeOf(symbol);
            bits = (bits << length) | code;
            count += length;
            while (count >= 8)
            {
                encoded.Add((byte)(bits >> (count - 8)));
                count -= 8;
            }
        }

        if (count > 0)
        {
            encoded.Add((byte)((bits << (8 - count)) | (0xFFu >> count)));
        }

        var destination = new byte[HpackHuffman.MaxDecodedLength(encoded.Count)];
        HpackHuffman.TryDecode(encoded.ToArray(), destination, out var written).Should().BeTrue();

        destination[..written].Should().Equal(symbols);
    }
}
