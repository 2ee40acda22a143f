using System.Text;
using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;
using Microsoft.Extensions.Logging.Abstractions;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>Snapshot files on real disk, and choosing the snapshot recovery starts from together with the WAL.</summary>
[Trait("Category", "Integration")]
public sealed class SnapshotStoreTests
{
    [Fact]
    public async Task LoadNewestAsync_SavedSnapshots_ReturnsTheNewestAndKeepsFive()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        for (ulong i = 1; i <= 7; i++)
        {
            await store.SaveAsync(Snap(i * 10, 2), Ct);
        }

        store.List().Select(m => m.Index).Should().Equal(70UL, 60UL, 50UL, 40UL, 30UL);
        Directory.GetFiles(t.Member.Snap).Should().HaveCount(5, "no temporary file is left behind");
        var load = await store.LoadNewestAsync(_ => true, Ct);
        load.Snapshot!.Marker.Should().Be(new SnapshotMarker(70, 2));
        load.Snapshot.Voters.Should().Equal(1UL, 2UL, 3UL);
        Encoding.UTF8.GetString(load.Snapshot.Data.Span).Should().Be("state at 70");
        load.Damaged.Should().BeEmpty();
    }

    [Fact]
    public async Task LoadNewestAsync_NewestDamaged_FallsBackToOlderAndReportsIt()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await store.SaveAsync(Snap(10, 1), Ct);
        await store.SaveAsync(Snap(20, 1), Ct);
        var newest = Path.Combine(t.Member.Snap, Snap(20, 1).FileName);
        var bytes = await File.ReadAllBytesAsync(newest, Ct);
        bytes[30] ^= 0xFF;
        await File.WriteAllBytesAsync(newest, bytes, Ct);

        var load = await store.LoadNewestAsync(_ => true, Ct);
        load.Snapshot!.Index.Should().Be(10);
        load.Damaged.Should().ContainSingle().Which.Should().Contain(newest).And.Contain("checksum");
        File.Exists(newest + SnapshotStore.BrokenSuffix).Should().BeTrue();
    }

    [Fact]
    public async Task LoadNewestAsync_OnlySnapshotDamaged_ThrowsSnapshotCorrupt()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await store.SaveAsync(Snap(10, 1), Ct);
        var path = Path.Combine(t.Member.Snap, Snap(10, 1).FileName);
        await File.WriteAllBytesAsync(path, (await File.ReadAllBytesAsync(path, Ct))[..^3], Ct);

        var load = () => store.LoadNewestAsync(_ => true, Ct);
        (await load.Should().ThrowAsync<SnapshotCorruptException>()).Which.Message.Should().Contain(path).And.Contain("join it again");
    }

    [Fact]
    public async Task OpenAsync_SnapshotTheWalNeverNamed_StartsFromTheOneItDid()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 1024 });
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(new HardState(1, 1, 0), Enumerable.Range(1, 30).Select(i => E((ulong)i, 1)).ToList(), Ct);
            await store.SaveAsync(Snap(10, 1), Ct);
            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(10, 1), Ct);
            await store.SaveAsync(Snap(20, 1), Ct);

            // A crash here: snapshot 20 is on disk, its WAL marker is not.
        }

        var state = await MemberStorage.OpenAsync(t.Member, t.Options, NullLogger.Instance, Ct);
        await using var _ = state.Wal;
        state.Snapshot!.Index.Should().Be(10);
        state.Entries.Select(e => e.Index).Should().Equal(Enumerable.Range(11, 20).Select(i => (ulong)i));
        state.HardState.Should().Be(new HardState(1, 1, 0));
    }

    [Fact]
    public async Task OpenAsync_NewestSnapshotDamagedAndWalReachesBack_FallsBackToTheOlderOne()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await using (var wal = t.Create())
        {
            await wal.SaveAsync(null, Enumerable.Range(1, 30).Select(i => E((ulong)i, 1)).ToList(), Ct);
            await store.SaveAsync(Snap(10, 1), Ct);
            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(10, 1), Ct);
            await store.SaveAsync(Snap(20, 1), Ct);
            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(20, 1), Ct);
        }

        var newest = Path.Combine(t.Member.Snap, Snap(20, 1).FileName);
        await File.WriteAllBytesAsync(newest, new byte[64], Ct);

        var state = await MemberStorage.OpenAsync(t.Member, t.Options, NullLogger.Instance, Ct);
        await using var _ = state.Wal;
        state.Snapshot!.Index.Should().Be(10);
        state.Entries.Should().HaveCount(20);
        state.DamagedSnapshots.Should().ContainSingle();
    }

    [Fact]
    public async Task OpenAsync_NewestSnapshotDamagedAndWalReleased_Refuses()
    {
        using var t = new TempWal(WalOptions.Default with { SegmentSize = 512 });
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await using (var wal = t.Create())
        {
            for (ulong i = 1; i <= 40; i++)
            {
                await wal.SaveAsync(null, [E(i, 1, new string('s', 40))], Ct);
                if (i is 5 or 35)
                {
                    await store.SaveAsync(Snap(i, 1), Ct);
                    await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(i, 1), Ct);
                }
            }

            wal.ReleaseBefore(35).Should().BeGreaterThan(0);
        }

        await File.WriteAllBytesAsync(Path.Combine(t.Member.Snap, Snap(35, 1).FileName), new byte[64], Ct);
        var open = () => MemberStorage.OpenAsync(t.Member, t.Options, NullLogger.Instance, Ct);
        await open.Should().ThrowAsync<SnapshotCorruptException>();
    }

    [Fact]
    public async Task ReadDataAsync_SavedSnapshot_ReturnsExactlyItsData()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var big = new SnapshotFile(90, 3, [1, 2, 3], [4], Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
        await store.SaveAsync(Snap(80, 3), Ct);
        await store.SaveAsync(big, Ct);

        (await store.ReadDataAsync(big.Marker, Ct)).Should().Equal(big.Data.ToArray());
        Encoding.UTF8.GetString(await store.ReadDataAsync(new SnapshotMarker(80, 3), Ct)).Should().Be("state at 80");
    }

    [Fact]
    public async Task ReadDataAsync_DamagedRenamedOrMissing_IsRefusedAndTheFileKept()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        await store.SaveAsync(Snap(10, 1), Ct);
        await store.SaveAsync(Snap(20, 1), Ct);
        var damaged = Path.Combine(t.Member.Snap, Snap(20, 1).FileName);
        var bytes = await File.ReadAllBytesAsync(damaged, Ct);
        bytes[^8] ^= 0x20;
        await File.WriteAllBytesAsync(damaged, bytes, Ct);
        File.Copy(Path.Combine(t.Member.Snap, Snap(10, 1).FileName), Path.Combine(t.Member.Snap, Snap(30, 1).FileName));

        var flipped = async () => await store.ReadDataAsync(new SnapshotMarker(20, 1), Ct);
        var misnamed = async () => await store.ReadDataAsync(new SnapshotMarker(30, 1), Ct);
        var missing = async () => await store.ReadDataAsync(new SnapshotMarker(40, 1), Ct);

        (await flipped.Should().ThrowAsync<InvalidDataException>()).WithMessage("*the checksum does not match*");
        (await misnamed.Should().ThrowAsync<InvalidDataException>()).WithMessage("*is not the snapshot its name says*");
        await missing.Should().ThrowAsync<FileNotFoundException>();
        File.Exists(damaged).Should().BeTrue("a sender only reports a damaged file; recovery decides what to do with it");
    }

    [Fact]
    public async Task SaveAsync_StreamedData_IsTheSameFileAsTheArray()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var data = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 13)).ToArray();
        var marker = new SnapshotMarker(50, 2);

        await store.SaveAsync(marker, [1, 2], [3], data.Length, s =>
        {
            for (var at = 0; at < data.Length; at += 65_536)
            {
                s.Write(data.AsSpan(at, Math.Min(65_536, data.Length - at)));
            }
        }, Ct);

        var file = await File.ReadAllBytesAsync(Path.Combine(t.Member.Snap, SnapshotFile.NameOf(marker)), Ct);
        file.Should().Equal(SnapshotCodec.Encode(new SnapshotFile(50, 2, [1, 2], [3], data)));
        (await store.ReadDataAsync(marker, Ct)).Should().Equal(data);
    }

    [Fact]
    public async Task SaveAsync_StreamedAcrossSeveralWritebackFlushes_IsWhole()
    {
        // 20 MiB crosses the 8 MiB flush interval twice, with a write that straddles each boundary.
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var data = new byte[(20 << 20) + 123];
        new Random(7).NextBytes(data);
        var marker = new SnapshotMarker(70, 2);

        await store.SaveAsync(marker, [1], [], data.Length, s =>
        {
            for (var at = 0; at < data.Length; at += 100_003)
            {
                s.Write(data.AsSpan(at, Math.Min(100_003, data.Length - at)));
            }
        }, Ct);

        (await store.ReadDataAsync(marker, Ct)).Should().Equal(data);
        var load = await store.LoadNewestAsync(_ => true, Ct);
        load.Snapshot!.Data.ToArray().Should().Equal(data);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(101)]
    public async Task SaveAsync_StreamWritesOtherThanAnnounced_FailsAndLeavesNoFile(int written)
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);

        var save = async () => await store.SaveAsync(new SnapshotMarker(60, 2), [1], [], 100, s => s.Write(new byte[written]), Ct);

        await save.Should().ThrowAsync<InvalidOperationException>();
        Directory.GetFiles(t.Member.Snap).Should().BeEmpty("neither the final name nor the temporary file may be left");
    }

    [Fact]
    public async Task NewestBytes_IsTheNewestFilesSize_OrZero()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        store.NewestBytes().Should().Be(0);
        await store.SaveAsync(Snap(10, 1), Ct);
        var newest = new SnapshotFile(20, 1, [1, 2, 3], [], new byte[5000]);
        await store.SaveAsync(newest, Ct);
        await store.SaveAsync(Snap(15, 1), Ct);

        store.NewestBytes().Should().Be(new FileInfo(Path.Combine(t.Member.Snap, newest.FileName)).Length)
            .And.BeGreaterThan(5000);
    }

    private static SnapshotFile Snap(ulong index, ulong term) => new(index, term, [1, 2, 3], [], Encoding.UTF8.GetBytes($"state at {index}"));
}
