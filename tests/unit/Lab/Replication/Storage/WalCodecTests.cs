using System.Buffers;
using System.Text;
using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>The WAL's record framing, checksums and file names, in memory.</summary>
[Trait("Category", "Unit")]
public sealed class WalCodecTests
{
    [Fact]
    public void Append_CheckValue_MatchesCastagnoli()
    {
        Crc32C.Append(0, "123456789"u8).Should().Be(0xE3069283);
        Crc32C.AppendSoftware(0, "123456789"u8).Should().Be(0xE3069283);
    }

    [Fact]
    public void Append_InTwoParts_EqualsOneChecksumOverTheWhole()
    {
        var random = new Random(7);
        var data = new byte[1000];
        random.NextBytes(data);
        for (var split = 0; split <= data.Length; split += 37)
        {
            Crc32C.Append(Crc32C.Append(0, data.AsSpan(0, split)), data.AsSpan(split)).Should().Be(Crc32C.Append(0, data));
        }

        Crc32C.Append(0, data).Should().Be(Crc32C.AppendSoftware(0, data), "the hardware path computes the same polynomial as the table");
    }

    [Fact]
    public void ReadFrame_EncodedRecords_DecodeInOrderWithChainedChecksums()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var header = new WalSegmentHeader(3, 42, new WalMetadata(0xA, 0xB), 0xDEADBEEF);
        var crc = WalCodec.AppendHeader(buffer, header);
        crc = WalCodec.AppendHardState(buffer, crc, new HardState(2, 1, 41));
        crc = WalCodec.AppendEntry(buffer, crc, new WalEntry(42, 2, 1, Encoding.UTF8.GetBytes("put a=1")));
        WalCodec.AppendMarker(buffer, crc, new SnapshotMarker(40, 2));
        var file = buffer.WrittenMemory;

        var frame = WalCodec.ReadFrame(file.Span, 0, 0, 1 << 20);
        frame.Status.Should().Be(WalFrameStatus.Valid);
        WalCodec.ReadHeader(file.Span.Slice(frame.PayloadOffset, frame.PayloadLength)).Should().Be(header);
        var hs = WalCodec.ReadFrame(file.Span, frame.Size, frame.StoredCrc, 1 << 20);
        WalCodec.ReadHardState(file.Span.Slice(hs.PayloadOffset, hs.PayloadLength)).Should().Be(new HardState(2, 1, 41));
        var entry = WalCodec.ReadFrame(file.Span, hs.Offset + hs.Size, hs.StoredCrc, 1 << 20);
        var decoded = WalCodec.ReadEntry(file, entry)!;
        (decoded.Index, decoded.Term, decoded.Type, Encoding.UTF8.GetString(decoded.Data.Span)).Should().Be((42UL, 2UL, (byte)1, "put a=1"));
        var marker = WalCodec.ReadFrame(file.Span, entry.Offset + entry.Size, entry.StoredCrc, 1 << 20);
        WalCodec.ReadMarker(file.Span.Slice(marker.PayloadOffset, marker.PayloadLength)).Should().Be(new SnapshotMarker(40, 2));
        (marker.Offset + marker.Size).Should().Be(file.Length);

        WalCodec.ReadFrame(file.Span, hs.Offset, 0, 1 << 20).Status.Should().Be(WalFrameStatus.BadCrc, "a record read out of its chain does not verify");
    }

    [Theory]
    [InlineData(0, "TooLong")]
    [InlineData(4, "BadCrc")]
    [InlineData(8, "BadCrc")]
    [InlineData(20, "BadCrc")]
    public void ReadFrame_FlippedBit_IsDetected(int at, string expected)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WalCodec.AppendEntry(buffer, 5, new WalEntry(1, 1, 0, new byte[16]));
        var bytes = buffer.WrittenSpan.ToArray();
        bytes[at + (at == 0 ? 3 : 0)] ^= 0x40;
        WalCodec.ReadFrame(bytes, 0, 5, 1 << 20).Status.ToString().Should().Be(expected);
    }

    [Fact]
    public void ValidRecordFollows_CutRecord_FindsNothingButDamageBeforeValidRecordsFindsThem()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var crc = WalCodec.AppendHeader(buffer, new WalSegmentHeader(0, 1, default, 0));
        var offsets = new List<int>();
        for (ulong i = 1; i <= 4; i++)
        {
            offsets.Add(buffer.WrittenCount);
            crc = WalCodec.AppendEntry(buffer, crc, new WalEntry(i, 1, 0, Encoding.UTF8.GetBytes($"value {i}")));
        }

        var whole = buffer.WrittenSpan.ToArray();
        var cut = whole[..(offsets[3] + 10)];
        var torn = WalCodec.ReadFrame(cut, offsets[3], Crc(whole, offsets[3]), 1 << 20);
        torn.Status.Should().Be(WalFrameStatus.PastEnd);
        WalTailProbe.ValidRecordFollows(cut, torn, 3, 1 << 20).Should().BeFalse();

        var flipped = whole.ToArray();
        flipped[offsets[1] + 20] ^= 1;
        var damaged = WalCodec.ReadFrame(flipped, offsets[1], Crc(whole, offsets[1]), 1 << 20);
        damaged.Status.Should().Be(WalFrameStatus.BadCrc);
        WalTailProbe.ValidRecordFollows(flipped, damaged, 1, 1 << 20).Should().BeTrue();
    }

    [Fact]
    public void TryParse_FormattedName_RoundTrips()
    {
        var name = new WalSegmentName(0x1F, 0x1234);
        name.FileName.Should().Be("000000000000001f-0000000000001234.wal");
        WalSegmentName.TryParse(name.FileName, out var parsed).Should().BeTrue();
        parsed.Should().Be(name);
        WalSegmentName.TryParse("000000000000001f-0000000000001234.wal.tmp", out _).Should().BeFalse();
        WalSegmentName.TryParse("nonsense.wal", out _).Should().BeFalse();
    }

    [Fact]
    public void Decode_EncodedSnapshot_RoundTripsAndRejectsAnyFlippedByte()
    {
        var snapshot = new SnapshotFile(100, 7, [1, 2, 3], [9], Encoding.UTF8.GetBytes("state machine"));
        var bytes = SnapshotCodec.Encode(snapshot);
        var decoded = SnapshotCodec.Decode(bytes, out var problem)!;
        problem.Should().BeNull();
        (decoded.Index, decoded.Term, Encoding.UTF8.GetString(decoded.Data.Span)).Should().Be((100UL, 7UL, "state machine"));
        decoded.Voters.Should().Equal(1UL, 2UL, 3UL);
        decoded.Learners.Should().Equal(9UL);
        SnapshotCodec.TryParseName(snapshot.FileName, out var marker).Should().BeTrue();
        marker.Should().Be(new SnapshotMarker(100, 7));

        for (var i = 0; i < bytes.Length; i++)
        {
            var copy = bytes.ToArray();
            copy[i] ^= 0x10;
            SnapshotCodec.Decode(copy, out problem).Should().BeNull($"byte {i} was flipped");
            problem.Should().NotBeNullOrEmpty();
        }
    }

    /// <summary>The checksum the record at <paramref name="offset"/> chains from: the stored checksum of the record before it.</summary>
    private static uint Crc(byte[] file, int offset)
    {
        var at = 0;
        uint crc = 0;
        while (at < offset)
        {
            var frame = WalCodec.ReadFrame(file, at, crc, 1 << 20);
            crc = frame.StoredCrc;
            at += frame.Size;
        }

        return crc;
    }
}
