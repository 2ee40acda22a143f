using System.Diagnostics;
using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>
/// The zero-filled spare segment (<see cref="WalSpare"/>): prepared in the background, taken by the next segment, whose
/// blocks are then really written (no "unwritten" extents left for an append's fdatasync to convert), and gone when
/// the WAL closes or, after a crash, when it opens again.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WalSpareTests
{
    private static readonly WalOptions Preallocated = WalOptions.Default with { SegmentSize = 1024 * 1024, Preallocate = true };

    [Fact]
    public async Task FirstSegment_IsClosedOnceTheSpareIsReady_TheNextHasNoUnwrittenBlocks_AndEverythingRecovers()
    {
        using var t = new TempWal(Preallocated);
        var spare = Path.Combine(t.WalDir, WalSpare.FileName);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(new HardState(1, 0x11, 0), [E(1, 1)], Ct);
            await WaitForSpareAsync(wal);
            var first = t.LastSegment;
            Extents(first).Should().Contain("unwritten", "the first segment is only reserved with fallocate");

            await wal.SaveAsync(null, [E(2, 1), E(3, 1)], Ct);
            wal.Segments.Should().HaveCount(2, "a segment not started from a spare is closed once one is ready");
            var second = t.LastSegment;
            second.Should().NotBe(first);
            new FileInfo(second).Length.Should().Be(Preallocated.SegmentSize);
            Extents(second).Should().NotContain("unwritten", "the spare's zeroes were written and synced");
            await WaitForSpareAsync(wal);
            File.Exists(spare).Should().BeTrue("the next spare is prepared as soon as one is taken");
        }

        File.Exists(spare).Should().BeFalse("closing the WAL deletes a spare it did not use");
        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.TruncatedBytes.Should().Be(0);
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(1UL, 2UL, 3UL);
        opened.Recovery.HardState.Should().Be(new HardState(1, 0x11, 0));
    }

    [Fact]
    public async Task SpareLeftByACrash_IsDeletedAtOpen_AndReplacedByAZeroFilledOne()
    {
        using var t = new TempWal(Preallocated);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(null, [E(1, 1)], Ct);
        }

        var spare = Path.Combine(t.WalDir, WalSpare.FileName);
        await File.WriteAllTextAsync(spare, "half-written spare of a member that lost power", Ct);

        var opened = await t.OpenAsync();
        await using (var wal = opened.Wal)
        {
            opened.Recovery.Entries.Select(e => e.Index).Should().Equal(1UL);
            await WaitForSpareAsync(wal);
            var bytes = await File.ReadAllBytesAsync(spare, Ct);
            bytes.Should().HaveCount((int)Preallocated.SegmentSize);
            bytes.Should().OnlyContain(b => b == 0);
            await wal.SaveAsync(null, [E(2, 1)], Ct);
        }

        var again = await t.OpenAsync();
        await using var __ = again.Wal;
        again.Recovery.Entries.Select(S).Should().Equal("entry 1", "entry 2");
    }

    [Fact]
    public async Task SegmentsRolledBySize_WithAndWithoutASpareReady_RecoverEveryEntry()
    {
        using var t = new TempWal(Preallocated with { SegmentSize = 16 * 1024 });
        var data = new string('v', 1000);
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 200; i++)
            {
                await wal.SaveAsync(new HardState(1, 0x11, i - 1), [E(i, 1, data)], Ct);
                if (i % 50 == 0)
                {
                    // Sometimes a spare is ready at the roll, sometimes the writer starts the segment itself.
                    await WaitForSpareAsync(wal);
                }
            }

            wal.Segments.Count.Should().BeGreaterThan(10);
        }

        var opened = await t.OpenAsync();
        await using var _ = opened.Wal;
        opened.Recovery.TruncatedBytes.Should().Be(0);
        opened.Recovery.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(1, 200).Select(i => (ulong)i));
        opened.Recovery.HardState!.Value.Commit.Should().Be(199);
    }

    private static async Task WaitForSpareAsync(Wal wal)
    {
        var waited = Stopwatch.StartNew();
        while (!wal.SpareReady)
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "a spare of 1 MiB is written in milliseconds");
            await Task.Delay(5, Ct);
        }
    }

    /// <summary>The file's extents as <c>filefrag -v</c> (e2fsprogs) lists them, with their flags.</summary>
    private static string Extents(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("filefrag", ["-v", path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, process.StandardError.ReadToEnd());
        return output;
    }
}
