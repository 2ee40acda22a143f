using System.Text;
using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

[Trait("Category", "Unit")]
public sealed class HpackDecoderTests
{
    // RFC 7541 C.3 (requests without Huffman coding) and C.4 (the same requests with it): three blocks on one
    // connection, each building on the dynamic table the previous ones left.
    public static TheoryData<string, string, string> Requests => new()
    {
        {
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"
        },
        {
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
        },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void TryDecode_RfcRequestSequence_DecodesFieldsAndKeepsTheDynamicTable(string first, string second, string third)
    {
        var decoder = new HpackDecoder();

        RecordedFields.Decode(decoder, Hex.Bytes(first)).Should().Equal(
            ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com");
        Table(decoder).Should().Equal(":authority: www.example.com");
        decoder.Table.Size.Should().Be(57);

        RecordedFields.Decode(decoder, Hex.Bytes(second)).Should().Equal(
            ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache");
        Table(decoder).Should().Equal("cache-control: no-cache", ":authority: www.example.com");
        decoder.Table.Size.Should().Be(110);

        RecordedFields.Decode(decoder, Hex.Bytes(third)).Should().Equal(
            ":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value");
        Table(decoder).Should().Equal("custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com");
        decoder.Table.Size.Should().Be(164);
    }

    [Fact]
    public void TryDecode_RfcLiteralForms_DecodeAndOnlyIncrementalIndexingAddsToTheTable()
    {
        var decoder = new HpackDecoder();

        // C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed.
        RecordedFields.Decode(decoder, Hex.Bytes("040c 2f73 616d 706c 652f 7061 7468")).Should().Equal(":path: /sample/path");
        RecordedFields.Decode(decoder, Hex.Bytes("1008 7061 7373 776f 7264 0673 6563 7265 74")).Should().Equal("(never) password: secret");
        RecordedFields.Decode(decoder, Hex.Bytes("82")).Should().Equal(":method: GET");
        decoder.Table.Count.Should().Be(0);

        // C.2.1 literal with incremental indexing, new name.
        RecordedFields.Decode(decoder, Hex.Bytes("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")).Should().Equal("custom-key: custom-header");
        decoder.Table.Size.Should().Be(55);
    }

    [Fact]
    public void TryDecode_SizeUpdateBelowTheTable_EvictsOldestFirst()
    {
        var decoder = new HpackDecoder();
        RecordedFields.Decode(decoder, Hex.Bytes("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        RecordedFields.Decode(decoder, Hex.Bytes("8286 84be 5808 6e6f 2d63 6163 6865"));

        // 0x3f 0x17 is a size update to 31 + 23 = 54: room for cache-control (53) only.
        RecordedFields.Decode(decoder, Hex.Bytes("3f17 be")).Should().Equal("size-update: 54", "cache-control: no-cache");

        Table(decoder).Should().Equal("cache-control: no-cache");
    }

    [Fact]
    public void TryDecode_EntryLargerThanTheTable_EmptiesIt()
    {
        var decoder = new HpackDecoder();
        RecordedFields.Decode(decoder, Hex.Bytes("3f 19")); // size update to 56
        RecordedFields.Decode(decoder, Hex.Bytes("8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")).Should().HaveCount(2);

        decoder.Table.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("80")] // index 0
    [InlineData("be")] // dynamic index 62 in an empty table
    [InlineData("ff ffff ffff 0f")] // an index beyond int
    [InlineData("4003 6162")] // a name literal cut short
    [InlineData("8220")] // a size update after a field
    [InlineData("3fe2 ff03")] // a size update beyond the limit
    [InlineData("0081 ff")] // an invalid Huffman name
    public void TryDecode_MalformedBlock_Fails(string block)
    {
        new HpackDecoder().TryDecode(Hex.Bytes(block), new RecordedFields()).Should().BeFalse();
    }

    [Theory]
    [InlineData(10, 5, "0a")]
    [InlineData(1337, 5, "1f9a0a")]
    [InlineData(42, 8, "2a")]
    [InlineData(31, 5, "1f00")]
    [InlineData(int.MaxValue, 7, "7f80ffffff07")]
    public void HpackInteger_RfcExamples_RoundTrip(int value, int prefixBits, string encoded)
    {
        var buffer = new byte[8];
        var written = HpackInteger.Write(buffer, value, prefixBits, 0);
        Convert.ToHexStringLower(buffer, 0, written).Should().Be(encoded);

        var position = 0;
        HpackInteger.TryRead(buffer.AsSpan(0, written), ref position, prefixBits, out var read).Should().BeTrue();
        (read, position).Should().Be((value, written));
    }

    private static List<string> Table(HpackDecoder decoder) =>
        [.. Enumerable.Range(0, decoder.Table.Count).Select(i =>
            $"{Encoding.ASCII.GetString(decoder.Table.Name(i))}: {Encoding.ASCII.GetString(decoder.Table.Value(i))}")];
}
