using System.Text;
using K3sLab.K3s.Kubelet.Streaming;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>
/// The SPDY/3 codec the kubelet's streaming endpoints speak to kubectl: frame layouts as golden bytes from the
/// draft-3 spec, header blocks compressed by zlib against the SPDY dictionary (the way Go's framer sends them), and
/// this end's own compressed headers read back.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SpdyCodecTests
{
    // Two SYN_STREAMs as a Go peer sends them: one zlib stream (level 9, SPDY/3 dictionary, so the header carries
    // FDICT and the dictionary's Adler-32 e3c6a7c2), each header block ended by a sync flush (00 00 ff ff).
    private const string TwoSynStreams =
        "80030001000000280000000100000000000078f9e3c6a7c202a62346703a2b294a4dcc851625aca9a08006000000ffff"
        + "80030001000000250000000300000000000002651c0c2960624ec90797d1c022bb084c5b18581800000000ffff";

    [Fact]
    public void Dictionary_IsTheSpdy3Dictionary()
    {
        SpdyDictionary.Bytes.Should().HaveCount(1423);
        Adler32(SpdyDictionary.Bytes).Should().Be(SpdyDictionary.Adler32);
        Encoding.ASCII.GetString(SpdyDictionary.Bytes, 4, 7).Should().Be("options");
        Encoding.ASCII.GetString(SpdyDictionary.Bytes[^6..]).Should().Be("enq=0.");
    }

    [Fact]
    public async Task Reader_SynStreamsCompressedAgainstTheDictionary_DecodesBothHeaderBlocks()
    {
        using var input = new MemoryStream(Convert.FromHexString(TwoSynStreams));
        using var reader = new SpdyFrameReader(input);
        var first = await reader.ReadAsync(TestContext.Current.CancellationToken);
        var second = await reader.ReadAsync(TestContext.Current.CancellationToken);
        (await reader.ReadAsync(TestContext.Current.CancellationToken)).Should().BeNull("the stream ended between frames");

        first!.Type.Should().Be(SpdyFrameType.SynStream);
        first.StreamId.Should().Be(1u);
        first.Headers!["streamType"].Should().Be("error");
        second!.StreamId.Should().Be(3u);
        second.Headers!["streamtype"].Should().Be("stdout");
        second.Headers["port"].Should().Be("8080");
    }

    [Fact]
    public void Writer_DataFrame_IsStreamIdFlagsLengthPayload()
    {
        using var writer = new SpdyFrameWriter();
        Hex(writer.Serialize(SpdyFrame.Data(1, "hi"u8.ToArray(), fin: true))).Should().Be("00000001010000026869");
        Hex(writer.Serialize(SpdyFrame.Data(5, ReadOnlyMemory<byte>.Empty, fin: true))).Should().Be("0000000501000000");
    }

    [Fact]
    public void Writer_ControlFrames_HaveTheDraft3Layout()
    {
        using var writer = new SpdyFrameWriter();
        Hex(writer.Serialize(SpdyFrame.Reset(1, SpdyFrame.Cancel))).Should().Be("80030003000000080000000100000005");
        Hex(writer.Serialize(SpdyFrame.Ping(7))).Should().Be("800300060000000400000007");
        Hex(writer.Serialize(SpdyFrame.GoAway(3))).Should().Be("80030007000000080000000300000000");
    }

    [Fact]
    public void Headers_Encode_IsCountThenLengthPrefixedPairs()
    {
        var block = new SpdyHeaders().Add("streamType", "error").Encode();
        Hex(block).Should().Be("00000001" + "0000000a" + Hex("streamtype"u8.ToArray()) + "00000005" + Hex("error"u8.ToArray()));
        SpdyHeaders.Decode(block)["STREAMTYPE"].Should().Be("error");
    }

    [Fact]
    public void Headers_Decode_TruncatedBlock_Throws()
    {
        var act = () => SpdyHeaders.Decode(Convert.FromHexString("00000001000000ff61"));
        act.Should().Throw<SpdyProtocolException>();
    }

    [Fact]
    public async Task Writer_SynReplies_ReadBackWithoutADictionaryAndInOrder()
    {
        using var writer = new SpdyFrameWriter();
        var first = writer.Serialize(SpdyFrame.SynReply(1, new SpdyHeaders()));
        var second = writer.Serialize(SpdyFrame.SynReply(3, new SpdyHeaders().Add("x", "y")));

        // The zlib header (after the 12 bytes of frame head and stream id) must not ask for a preset dictionary.
        first[12].Should().Be(0x78);
        (first[13] & 0x20).Should().Be(0, "Go's reader accepts a zlib stream without FDICT as is");

        using var input = new MemoryStream([.. first, .. second]);
        using var reader = new SpdyFrameReader(input);
        var a = await reader.ReadAsync(TestContext.Current.CancellationToken);
        var b = await reader.ReadAsync(TestContext.Current.CancellationToken);
        a!.Type.Should().Be(SpdyFrameType.SynReply);
        a.Headers!.Pairs.Should().BeEmpty();
        b!.StreamId.Should().Be(3u);
        b.Headers!["x"].Should().Be("y");
    }

    [Fact]
    public async Task Reader_UnknownControlType_IsSkipped()
    {
        using var input = new MemoryStream(Convert.FromHexString("8003000a00000002abcd" + "800300060000000400000009"));
        using var reader = new SpdyFrameReader(input);
        var frame = await reader.ReadAsync(TestContext.Current.CancellationToken);
        frame!.Type.Should().Be(SpdyFrameType.Ping);
        frame.Value.Should().Be(9u);
    }

    [Fact]
    public async Task Reader_OtherVersion_Throws()
    {
        using var input = new MemoryStream(Convert.FromHexString("800200060000000400000001"));
        using var reader = new SpdyFrameReader(input);
        var act = () => reader.ReadAsync(TestContext.Current.CancellationToken);
        await act.Should().ThrowAsync<SpdyProtocolException>();
    }

    [Fact]
    public void ExecStatus_NonZeroExit_CarriesTheExitCodeCause()
    {
        ExecStatus.Exited(["sh", "-c", "exit 3"], 3).ToJsonString().Should().Be(
            """{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}""");
        ExecStatus.Success().ToJsonString().Should().Be("""{"metadata":{},"status":"Success"}""");
    }

    [Theory]
    [InlineData("""{"Width":80,"Height":24}""", true, 80, 24)]
    [InlineData("""{"Width":-1,"Height":24}""", false, 0, 0)]
    [InlineData("not json", false, 0, 0)]
    public void TerminalSize_Parse(string json, bool ok, int width, int height)
    {
        TerminalSize.TryParse(Encoding.UTF8.GetBytes(json), out var size).Should().Be(ok);
        size.Should().Be(new TerminalSize((ushort)width, (ushort)height));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }
}
