using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>The WAL on real files: round trips, group commit, overwrites, segment rolls and release.</summary>
[Trait("Category", "Integration")]
public sealed class WalTests
{
    [Fact]
    public async Task OpenAsync_AfterSaves_RecoversMetadataHardStateAndEntries()
    {
        using var t = new TempWal();
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(new HardState(1, 0x11, 0), [E(1, 1), E(2, 1)], Ct);
            await wal.SaveAsync(new HardState(1, 0x11, 2), [E(3, 1, "third")], Ct);
            await wal.SaveAsync(null, [], Ct);
        }

        var opened = await t.OpenAsync();
        await using var again = opened.Wal;
        var r = opened.Recovery;
        r.Metadata.Should().Be(new WalMetadata(0x11, 0x22));
        r.HardState.Should().Be(new HardState(1, 0x11, 2));
        r.Snapshot.Should().Be(default(SnapshotMarker));
        r.Entries.Select(e => (e.Index, e.Term, S(e))).Should().Equal((1UL, 1UL, "entry 1"), (2UL, 1UL, "entry 2"), (3UL, 1UL, "third"));
        r.TruncatedBytes.Should().Be(0);

        await again.SaveAsync(null, [E(4, 2)], Ct);
        await again.DisposeAsync();
        var third = await t.OpenAsync();
        await using var _ = third.Wal;
        third.Recovery.Entries.Select(e => e.Index).Should().Equal(1UL, 2UL, 3UL, 4UL);
    }

    [Fact]
    public async Task SaveAsync_ManyConcurrentCallers_ShareFsyncs()
    {
        using var t = new TempWal();
        const int Writers = 32;
        const int PerWriter = 25;
        await using (var wal = t.Create())
        {
            var fsyncsBefore = wal.Counters.Fsyncs;
            var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    var index = (ulong)((w * PerWriter) + i + 1);
                    await wal.SaveAsync(null, [new WalEntry(index, 1, 0, BitConverter.GetBytes(index))], Ct);
                }
            }));
            await Task.WhenAll(tasks);

            wal.Counters.Saves.Should().Be(Writers * PerWriter);
            wal.Counters.Records.Should().Be(1 + (Writers * PerWriter), "the header and one record per call");
            (wal.Counters.Fsyncs - fsyncsBefore).Should().BeLessThan(Writers * PerWriter, "concurrent callers are committed together");
            wal.Counters.Batches.Should().Be(wal.Counters.Fsyncs - fsyncsBefore);
        }

        // The indexes were written in whatever order the callers raced; recovery applies them as a log, so only check every record is there.
        var segment = await File.ReadAllBytesAsync(t.LastSegment, Ct);
        RecordOffsets(segment).Should().HaveCount(1 + (Writers * PerWriter));
    }

    [Fact]
    public async Task SaveAsync_NothingQueued_WrittenAndSyncedOnTheCallersThread()
    {
        using var t = new TempWal();
        await using (var wal = t.Create())
        {
            var fsyncsBefore = wal.Counters.Fsyncs;

            // The Raft host's loop waits for each save before the next: those need no hand-over to the writer task.
            var save = wal.SaveAsync(new HardState(1, 0x11, 0), [E(1, 1)], Ct);

            save.IsCompletedSuccessfully.Should().BeTrue("a save that finds the WAL idle is written before SaveAsync returns");
            (wal.Counters.Fsyncs - fsyncsBefore).Should().Be(1);
            await save;
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(1UL);
        opened.Recovery.HardState.Should().Be(new HardState(1, 0x11, 0));
    }

    [Fact]
    public async Task OpenAsync_EntriesRewrittenAtLowerIndex_ReplaceTheSuffix()
    {
        using var t = new TempWal();
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(new HardState(1, 1, 3), Enumerable.Range(1, 10).Select(i => E((ulong)i, 1)).ToList(), Ct);
            await wal.SaveAsync(new HardState(2, 2, 5), [E(6, 2, "new six"), E(7, 2, "new seven")], Ct);
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Entries.Select(e => (e.Index, e.Term)).Should().Equal((1UL, 1UL), (2UL, 1UL), (3UL, 1UL), (4UL, 1UL), (5UL, 1UL), (6UL, 2UL), (7UL, 2UL));
        S(opened.Recovery.Entries[^1]).Should().Be("new seven");
        opened.Recovery.HardState.Should().Be(new HardState(2, 2, 5));
        opened.Recovery.LastIndex.Should().Be(7);
    }

    [Fact]
    public async Task OpenAsync_SnapshotBeyondTheLog_StartsTheLogAfterIt()
    {
        using var t = new TempWal();
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(null, [E(1, 1), E(2, 1), E(3, 1)], Ct);
            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(20, 3), Ct);
            await wal.SaveAsync(new HardState(3, 0, 20), [E(21, 3), E(22, 3)], Ct);
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        var r = opened.Recovery;
        r.Snapshot.Should().Be(new SnapshotMarker(20, 3));
        r.Entries.Select(e => e.Index).Should().Equal(21UL, 22UL);
        r.EntriesAfter(default).Should().BeNull("the entries between 3 and 20 were never in this log");
        r.Covers(new SnapshotMarker(20, 3)).Should().BeTrue();
    }

    [Fact]
    public async Task ReleaseBefore_AfterRolls_DeletesOnlySegmentsTheSnapshotCovers()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 2048 });
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 200; i++)
            {
                await wal.SaveAsync(new HardState(1, 1, i - 1), [E(i, 1, new string('x', 60))], Ct);
            }

            wal.Counters.Segments.Should().BeGreaterThan(5);
            var names = wal.Segments;
            names.Select(n => n.Sequence).Should().Equal(Enumerable.Range(0, names.Count).Select(i => (ulong)i));
            names.Select(n => n.FirstIndex).Should().BeInAscendingOrder();

            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(150, 1), Ct);
            var released = wal.ReleaseBefore(150);
            released.Should().BeGreaterThan(0);
            wal.Segments.Should().HaveCount(names.Count - released);
            wal.Segments[0].FirstIndex.Should().BeLessThanOrEqualTo(151);
            names[released].Should().Be(wal.Segments[0]);
            names[released + 1].FirstIndex.Should().BeGreaterThan(151, "the last segment starting at or below 151 is kept");
            Directory.GetFiles(t.WalDir, "*.wal").Should().HaveCount(wal.Segments.Count);
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.Snapshot.Should().Be(new SnapshotMarker(150, 1));
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(151, 50).Select(i => (ulong)i));
        opened.Recovery.HardState.Should().Be(new HardState(1, 1, 199));
    }

    [Fact]
    public async Task OpenAsync_AfterRolls_KeepsHardStateAndMarkerWrittenInOlderSegments()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 1024 });
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(new HardState(4, 2, 0), [], Ct);
            for (ulong i = 1; i <= 60; i++)
            {
                await wal.SaveAsync(null, [E(i, 4, new string('y', 50))], Ct);
            }

            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(30, 4), Ct);
            for (ulong i = 61; i <= 100; i++)
            {
                await wal.SaveAsync(null, [E(i, 4, new string('y', 50))], Ct);
            }

            var past = () => wal.ReleaseBefore(31);
            past.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*latest durable snapshot marker, index 30*");
            wal.ReleaseBefore(30).Should().BeGreaterThan(0);
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.HardState.Should().Be(new HardState(4, 2, 0), "every segment starts with the hard state current when it began");
        opened.Recovery.Snapshot.Should().Be(new SnapshotMarker(30, 4));
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(31, 70).Select(i => (ulong)i));
    }

    [Fact]
    public async Task Create_DirectoryWithAWal_Throws()
    {
        using var t = new TempWal();
        await using (t.Create())
        {
        }

        var again = () => t.Create();
        again.Should().Throw<InvalidOperationException>().WithMessage("*already holds a WAL*");
    }
}
