using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>
/// The runtime's segment layout: each segment is created at its full length, appends overwrite the zeroed rest, and
/// recovery takes zeroes after the last record as unused space (never as a torn tail), in the last segment and in
/// earlier ones alike, while real damage is still cut or refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WalPreallocationTests
{
    private static readonly WalOptions Preallocated = WalOptions.Default with { SegmentSize = 64 * 1024, Preallocate = true };

    [Fact]
    public async Task Segment_HasItsFullLengthFromTheStart_AndKeepsItAcrossAppendsAndReopens()
    {
        using var t = new TempWal(Preallocated);
        await using (var wal = t.Create())
        {
            new FileInfo(t.LastSegment).Length.Should().Be(Preallocated.SegmentSize);
            await wal.SaveAsync(new HardState(1, 0x11, 0), [TempWal.E(1, 1), TempWal.E(2, 1)], TempWal.Ct);
        }

        for (var round = 0; round < 3; round++)
        {
            var opened = await t.OpenAsync();
            await using var wal = opened.Wal;
            opened.Recovery.TruncatedBytes.Should().Be(0, "zeroes after the last record are unused space");
            opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(1, 2 + round).Select(i => (ulong)i));
            new FileInfo(t.LastSegment).Length.Should().Be(Preallocated.SegmentSize);
            await wal.SaveAsync(null, [TempWal.E((ulong)(3 + round), 1)], TempWal.Ct);
        }
    }

    [Fact]
    public async Task EarlierSegmentsWithUnusedTails_AreReadInFull()
    {
        using var t = new TempWal(Preallocated with { SegmentSize = 4096 });
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 40; i++)
            {
                await wal.SaveAsync(null, [TempWal.E(i, 1, new string('x', 300))], TempWal.Ct);
            }
        }

        Directory.GetFiles(t.WalDir, "*.wal").Should().HaveCountGreaterThan(2);
        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(1, 40).Select(i => (ulong)i));
        opened.Recovery.TruncatedBytes.Should().Be(0);
    }

    [Fact]
    public async Task TornLastRecord_IsCut_TheSegmentKeepsItsLength_AndTheNextAppendIsRead()
    {
        using var t = new TempWal(Preallocated);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(null, [TempWal.E(1, 1), TempWal.E(2, 1, "will be torn")], TempWal.Ct);
        }

        // Damage the last record's payload: what a write torn by a power cut leaves before the zeroed rest.
        var bytes = await File.ReadAllBytesAsync(t.LastSegment, TempWal.Ct);
        var end = Array.FindLastIndex(bytes, b => b != 0);
        bytes[end] ^= 0xFF;
        await File.WriteAllBytesAsync(t.LastSegment, bytes, TempWal.Ct);

        var opened = await t.OpenAsync();
        await using (var wal = opened.Wal)
        {
            opened.Recovery.Entries.Select(e => e.Index).Should().Equal(1UL);
            opened.Recovery.TruncatedBytes.Should().BeGreaterThan(0);
            new FileInfo(t.LastSegment).Length.Should().Be(Preallocated.SegmentSize);
            await wal.SaveAsync(null, [TempWal.E(2, 1, "written again")], TempWal.Ct);
        }

        var again = await t.OpenAsync();
        await using var __ = again.Wal;
        again.Recovery.Entries.Select(TempWal.S).Should().Equal("entry 1", "written again");
    }

    [Fact]
    public async Task DamageInAMiddleRecord_IsStillRefused()
    {
        using var t = new TempWal(Preallocated);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(null, [TempWal.E(1, 1, "first"), TempWal.E(2, 1, "second"), TempWal.E(3, 1, "third")], TempWal.Ct);
        }

        var bytes = await File.ReadAllBytesAsync(t.LastSegment, TempWal.Ct);
        var at = System.Text.Encoding.UTF8.GetBytes("second");
        var position = bytes.AsSpan().IndexOf(at);
        bytes[position] ^= 0x01;
        await File.WriteAllBytesAsync(t.LastSegment, bytes, TempWal.Ct);

        var open = () => t.OpenAsync();
        await open.Should().ThrowAsync<WalCorruptException>();
    }

    [Fact]
    public async Task LogBytes_CountsWrittenLog_NotThePreallocatedZeros()
    {
        using var t = new TempWal(Preallocated with { SegmentSize = 4096 });
        await using var wal = t.Create();
        var fresh = wal.LogBytes();
        fresh.Should().BeGreaterThan(0, "a new segment starts with its header").And.BeLessThan(Preallocated.SegmentSize / 8);
        new FileInfo(t.LastSegment).Length.Should().Be(4096);

        await wal.SaveAsync(null, [TempWal.E(1, 1, new string('x', 300))], TempWal.Ct);
        var one = wal.LogBytes();
        one.Should().BeGreaterThan(fresh + 300).And.BeLessThan(1024, "the record, and at most one more segment's header if the first closed early");

        for (ulong i = 2; i <= 40; i++)
        {
            await wal.SaveAsync(null, [TempWal.E(i, 1, new string('x', 300))], TempWal.Ct);
        }

        // Each segment counts up to the end of its last record, the one being written and the earlier ones (a segment
        // not started from a zero-filled spare closes early, with most of its preallocated length unused).
        var segments = wal.Segments;
        segments.Should().HaveCountGreaterThan(2);
        var bytes = wal.LogBytes();

        // The open segment is locked exclusively unless it began as a spare, so the files are read once the WAL has closed.
        await wal.DisposeAsync();
        long lastStarts = 0;
        long files = 0;
        foreach (var segment in segments)
        {
            var path = Path.Combine(t.WalDir, segment.FileName);
            lastStarts += TempWal.RecordOffsets(await File.ReadAllBytesAsync(path, TempWal.Ct))[^1];
            files += new FileInfo(path).Length;
        }

        bytes.Should().BeGreaterThan(lastStarts).And.BeLessThanOrEqualTo(lastStarts + (segments.Count * 400), "a record of 300 bytes of data takes less than 400");
        bytes.Should().BeLessThan(files);
    }
}
