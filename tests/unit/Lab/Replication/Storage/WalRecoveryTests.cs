using K3sLab.K3s.Replication.Storage;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>Recovery from damaged segments: torn tails are cut, anything else refuses to start with a message that says where and what to do.</summary>
[Trait("Category", "Integration")]
public sealed class WalRecoveryTests
{
    private const int Entries = 12;

    [Fact]
    public async Task OpenAsync_TornLastRecordAtEveryOffset_RecoversExactlyTheRecordsBefore()
    {
        using var t = new TempWal();
        var original = await WriteAsync(t);
        var offsets = RecordOffsets(original);
        var lastStart = offsets[^1];
        for (var cut = lastStart + 1; cut < original.Length; cut++)
        {
            await File.WriteAllBytesAsync(t.LastSegment, original[..cut], Ct);
            var opened = await t.OpenAsync();
            await using (opened.Wal)
            {
                opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(1, Entries - 1).Select(i => (ulong)i), $"the file was cut at byte {cut}");
                opened.Recovery.TruncatedBytes.Should().Be(cut - lastStart);
            }

            new FileInfo(t.LastSegment).Length.Should().Be(lastStart, "the torn tail is cut off the file");
        }

        // After a cut, appending continues the checksum chain from the last valid record.
        var again = await t.OpenAsync();
        await again.Wal.SaveAsync(null, [E(Entries, 2, "rewritten")], Ct);
        await again.Wal.DisposeAsync();
        var final = await t.OpenAsync();
        await using var _ = final.Wal;
        final.Recovery.Entries.Should().HaveCount(Entries);
        S(final.Recovery.Entries[^1]).Should().Be("rewritten");
    }

    [Fact]
    public async Task OpenAsync_TrailingZeroes_AreCutAsATornTail()
    {
        using var t = new TempWal();
        var original = await WriteAsync(t);
        await File.WriteAllBytesAsync(t.LastSegment, [.. original, .. new byte[8192]], Ct);

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Should().HaveCount(Entries);
        opened.Recovery.TruncatedBytes.Should().Be(8192);
    }

    [Fact]
    public async Task OpenAsync_LastRecordChecksumFails_IsCutAsATornTail()
    {
        using var t = new TempWal();
        var original = await WriteAsync(t);
        var offsets = RecordOffsets(original);
        original[offsets[^1] + 20] ^= 0x04;
        await File.WriteAllBytesAsync(t.LastSegment, original, Ct);

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Should().HaveCount(Entries - 1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(28)]
    public async Task OpenAsync_BitFlipInAMiddleRecord_ThrowsWalCorruptNamingFileAndOffset(int at)
    {
        using var t = new TempWal();
        var original = await WriteAsync(t);
        var offsets = RecordOffsets(original);
        var damaged = offsets[6];
        original[damaged + at] ^= 0x80;
        await File.WriteAllBytesAsync(t.LastSegment, original, Ct);

        var open = () => t.OpenAsync();
        var error = (await open.Should().ThrowAsync<WalCorruptException>()).Which;
        error.File.Should().Be(t.LastSegment);
        error.Offset.Should().Be(damaged);
        error.Record.Should().Be(6);
        error.Message.Should().Contain(t.LastSegment).And.Contain($"byte offset {damaged}").And.Contain("valid records after it").And.Contain("join it again");
        (await File.ReadAllBytesAsync(t.LastSegment, Ct)).Should().Equal(original, "nothing is truncated");
    }

    [Fact]
    public async Task OpenAsync_DamageInANonLastSegment_ThrowsWalCorrupt()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 512 });
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 40; i++)
            {
                await wal.SaveAsync(null, [E(i, 1, new string('z', 40))], Ct);
            }
        }

        var first = Directory.GetFiles(t.WalDir, "*.wal").Order(StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(first, Ct);
        var last = RecordOffsets(bytes)[^1];
        bytes[last + 20] ^= 1;
        await File.WriteAllBytesAsync(first, bytes, Ct);

        var open = () => t.OpenAsync();
        (await open.Should().ThrowAsync<WalCorruptException>()).Which.Message.Should().Contain(first).And.Contain("complete before the next one started");
    }

    [Fact]
    public async Task OpenAsync_MissingMiddleSegment_ThrowsWalCorrupt()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 512 });
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 40; i++)
            {
                await wal.SaveAsync(null, [E(i, 1, new string('z', 40))], Ct);
            }
        }

        File.Delete(Directory.GetFiles(t.WalDir, "*.wal").Order(StringComparer.Ordinal).ElementAt(1));
        var open = () => t.OpenAsync();
        (await open.Should().ThrowAsync<WalCorruptException>()).Which.Message.Should().Contain("segment 1").And.Contain("missing");
    }

    [Fact]
    public async Task OpenAsync_UnfinishedSegmentFromACrash_IsRemoved()
    {
        using var t = new TempWal();
        await WriteAsync(t);
        var leftover = Path.Combine(t.WalDir, new WalSegmentName(1, Entries + 1).FileName + WalSegmentName.TempSuffix);
        await File.WriteAllBytesAsync(leftover, new byte[100], Ct);

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Should().HaveCount(Entries);
        File.Exists(leftover).Should().BeFalse();
    }

    /// <summary>Writes entries 1..12, one save each, and returns the segment's bytes.</summary>
    private static async Task<byte[]> WriteAsync(TempWal t)
    {
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= Entries; i++)
            {
                await wal.SaveAsync(null, [E(i, 1, $"value number {i}")], Ct);
            }
        }

        return await File.ReadAllBytesAsync(t.LastSegment, Ct);
    }
}
