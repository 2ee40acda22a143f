using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

[Trait("Category", "Unit")]
public sealed class HeaderBlockRewriterTests
{
    [Fact]
    public void TryRewrite_RfcHuffmanRequests_SameFieldsAsLiteralsTheServerNeverIndexes()
    {
        var rewriter = new HeaderBlockRewriter();
        var reference = new HpackDecoder();
        var server = new HpackDecoder();
        var (first, second, third) = HpackDecoderTests.Requests.Skip(1).Single().Data;

        foreach (var block in new[] { first, second, third }.Select(Hex.Bytes))
        {
            rewriter.TryRewrite(block).Should().BeTrue();

            RecordedFields.Decode(server, rewriter.Output).Should().Equal(RecordedFields.Decode(reference, block));
            server.Table.Count.Should().Be(0);
        }
    }

    [Fact]
    public void TryRewrite_AuthorityWithScheme_SendsHostAndPortAndKeepsNeverIndexed()
    {
        var rewriter = new HeaderBlockRewriter();
        // :method POST, :scheme http, :path /etcdserverpb.Maintenance/Status, :authority http://127.0.0.1:2379
        // (literal with incremental indexing, name index 1), then a never-indexed "authorization: t".
        byte[] block =
        [
            0x83, 0x86, 0x44, .. Hpack.String("/etcdserverpb.Maintenance/Status"),
            0x41, .. Hpack.String("http://127.0.0.1:2379"),
            0x1f, 0x08, .. Hpack.String("t"), // never indexed, name index 15 + 8 = 23 (authorization)
        ];

        rewriter.TryRewrite(block).Should().BeTrue();

        RecordedFields.Decode(new HpackDecoder(), rewriter.Output).Should().Equal(
            ":method: POST", ":scheme: http", ":path: /etcdserverpb.Maintenance/Status", ":authority: 127.0.0.1:2379", "(never) authorization: t");

        // The next block refers to the :authority the client's encoder indexed (62): still rewritten.
        rewriter.TryRewrite([0xbe]).Should().BeTrue();
        RecordedFields.Decode(new HpackDecoder(), rewriter.Output).Should().Equal(":authority: 127.0.0.1:2379");
    }

    [Fact]
    public void TryRewrite_SizeUpdate_IsPassedOnAtTheStart()
    {
        var rewriter = new HeaderBlockRewriter();

        rewriter.TryRewrite(Hex.Bytes("20 3f e1 1f 82")).Should().BeTrue();

        RecordedFields.Decode(new HpackDecoder(), rewriter.Output).Should().Equal("size-update: 0", "size-update: 4096", ":method: GET");
    }

    [Fact]
    public void TryRewrite_Malformed_Fails()
    {
        new HeaderBlockRewriter().TryRewrite([0xbe]).Should().BeFalse();
    }
}
