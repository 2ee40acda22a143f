using System.Buffers;
using K3sLab.K3s.Etcd.Http2;

namespace K3sLab.Lab.Tests.Etcd.Http2;

[Trait("Category", "Unit")]
public sealed class ClientFrameRewriterTests
{
    private static readonly byte[] Settings = Frame(0x4, 0, 0, [0, 3, 0, 0, 0, 100]);

    private static readonly byte[] Request =
    [
        0x83, 0x86, 0x44, .. Hpack.String("/etcdserverpb.Maintenance/Status"),
        0x41, .. Hpack.String("http://127.0.0.1:2379"),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100_000)]
    public void Process_PaddedPrioritizedHeadersInAnyChunking_RewritesOnlyTheHeaderBlock(int chunk)
    {
        var data = Frame(0x0, 0x1, 1, [0, 0, 0, 0, 5, 1, 2, 3, 4, 5]);
        byte[] headers = Frame(0x1, 0x8 | 0x20 | 0x4, 1, [3, 0, 0, 0, 0, 16, .. Request, 9, 9, 9]);
        byte[] input = [.. Http2Frame.ClientPreface, .. Settings, .. headers, .. data];

        var output = Run(new ClientFrameRewriter(), input, chunk);

        output[..24].Should().Equal(Http2Frame.ClientPreface.ToArray());
        var frames = Parse(output[24..]);
        frames.Select(f => (f.Type, f.Flags, f.Stream)).Should().Equal((0x4, 0, 0), (0x1, 0x4, 1), (0x0, 0x1, 1));
        frames[0].Payload.Should().Equal(Settings[9..]);
        frames[2].Payload.Should().Equal(data[9..]);
        RecordedFields.Decode(new HpackDecoder(), frames[1].Payload).Should().Equal(
            ":method: POST", ":scheme: http", ":path: /etcdserverpb.Maintenance/Status", ":authority: 127.0.0.1:2379");
    }

    [Fact]
    public void Process_BlockAcrossContinuations_IsReassembledAndKeepsEndStream()
    {
        byte[] input =
        [
            .. Http2Frame.ClientPreface,
            .. Frame(0x1, 0x1, 3, Request[..10]), .. Frame(0x9, 0, 3, Request[10..20]), .. Frame(0x9, 0x4, 3, Request[20..]),
        ];

        var frames = Parse(Run(new ClientFrameRewriter(), input, 5)[24..]);

        frames.Select(f => (f.Type, f.Flags, f.Stream)).Should().Equal((0x1, 0x1 | 0x4, 3));
        RecordedFields.Decode(new HpackDecoder(), frames[0].Payload).Should().Contain(":authority: 127.0.0.1:2379");
    }

    [Fact]
    public void Process_BlockLargerThanAFrame_IsSplitIntoHeadersAndContinuations()
    {
        // Huffman-coded on the way in, raw on the way out: 12,500 octets of 5-bit '0's become 20,009 octets of literal.
        var zeros = new byte[12_500];
        byte[] block = [0x00, .. Hpack.String("big"), 0xFF, .. Varint(zeros.Length - 127), .. zeros];
        byte[] input = [.. Http2Frame.ClientPreface, .. Frame(0x1, 0x1 | 0x4, 5, block)];

        var frames = Parse(Run(new ClientFrameRewriter(), input, 4096)[24..]);

        frames.Select(f => (f.Type, f.Flags, f.Payload.Length)).Should().Equal(
            (0x1, 0x1, 16_384), (0x9, 0x4, 20_009 - 16_384));
        RecordedFields.Decode(new HpackDecoder(), [.. frames.SelectMany(f => f.Payload)]).Should().Equal("big: " + new string('0', 20_000));
    }

    [Fact]
    public void Process_NoPreface_PassesEverythingThrough()
    {
        var input = "GET / HTTP/1.1\r\nHost: http://x\r\n\r\n"u8.ToArray();
        var rewriter = new ClientFrameRewriter();

        Run(rewriter, input, 3).Should().Equal(input);
        rewriter.PassThroughReason.Should().Contain("preface");
    }

    [Fact]
    public void Process_BlockInterruptedByAnotherFrame_ForwardsItAsReceivedThenPassesThrough()
    {
        byte[] headers = Frame(0x1, 0, 1, Request[..10]);
        byte[] rest = [.. Settings, .. Frame(0x1, 0x4, 3, Request)];
        var rewriter = new ClientFrameRewriter();

        var output = Run(rewriter, [.. Http2Frame.ClientPreface, .. headers, .. rest], 1);

        output.Should().Equal([.. Http2Frame.ClientPreface, .. headers, .. rest]);
        rewriter.PassThroughReason.Should().Contain("interrupted");
    }

    [Theory]
    [InlineData(new byte[] { 0xbe })] // a dynamic index the client never added
    [InlineData(new byte[] { 0x00, 0x81, 0xff, 0x00 })] // invalid Huffman
    public void Process_MalformedBlock_ForwardsItAsReceived(byte[] block)
    {
        byte[] input = [.. Http2Frame.ClientPreface, .. Frame(0x1, 0x4, 1, block), .. Settings];
        var rewriter = new ClientFrameRewriter();

        Run(rewriter, input, 1).Should().Equal(input);
        rewriter.PassThroughReason.Should().Contain("HPACK");
    }

    [Fact]
    public void Process_PaddingLongerThanPayload_ForwardsItAsReceived()
    {
        byte[] input = [.. Http2Frame.ClientPreface, .. Frame(0x1, 0x8 | 0x4, 1, [200, 0x82])];

        Run(new ClientFrameRewriter(), input, 100).Should().Equal(input);
    }

    [Fact]
    public void Complete_TruncatedFrame_ForwardsTheRestAsReceived()
    {
        byte[] partial = Frame(0x1, 0x4, 1, Request)[..20];
        byte[] input = [.. Http2Frame.ClientPreface, .. partial];
        var rewriter = new ClientFrameRewriter();
        var output = new ArrayBufferWriter<byte>();

        var sequence = new ReadOnlySequence<byte>(input);
        var consumed = rewriter.Process(sequence, output);
        rewriter.Complete(sequence.Slice(consumed), output);

        output.WrittenSpan.ToArray().Should().Equal(input);
    }

    private static byte[] Frame(int type, int flags, int stream, byte[] payload)
    {
        var frame = new byte[Http2Frame.HeaderLength + payload.Length];
        new Http2Frame(payload.Length, (byte)type, (byte)flags, stream).Write(frame);
        payload.CopyTo(frame, Http2Frame.HeaderLength);
        return frame;
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    /// <summary>Feeds <paramref name="input"/> in chunks as a pipe would: unconsumed bytes are offered again with the next chunk.</summary>
    private static byte[] Run(ClientFrameRewriter rewriter, byte[] input, int chunk)
    {
        var output = new ArrayBufferWriter<byte>();
        var pending = new List<byte>();
        for (var offset = 0; offset < input.Length; offset += chunk)
        {
            pending.AddRange(input.AsSpan(offset, Math.Min(chunk, input.Length - offset)));
            var sequence = new ReadOnlySequence<byte>(pending.ToArray());
            var consumed = (int)sequence.Slice(0, rewriter.Process(sequence, output)).Length;
            pending.RemoveRange(0, consumed);
        }

        pending.Should().BeEmpty();
        return output.WrittenSpan.ToArray();
    }

    private static List<(int Type, int Flags, int Stream, byte[] Payload)> Parse(byte[] bytes)
    {
        var frames = new List<(int, int, int, byte[])>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var frame = Http2Frame.Read(bytes.AsSpan(offset));
            frames.Add((frame.Type, frame.Flags, frame.StreamId, bytes.AsSpan(offset + 9, frame.Length).ToArray()));
            offset += 9 + frame.Length;
        }

        return frames;
    }
}
