using System.Diagnostics;
using K3sLab.K3s.Replication.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static K3sLab.Lab.Tests.Replication.Storage.TempWal;

namespace K3sLab.Lab.Tests.Replication.Storage;

/// <summary>
/// A member's own snapshot is written at a bounded rate (<see cref="PacedWriteback"/>), and whole; a received one is
/// written at full speed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PacedWritebackTests
{
    private const int DataBytes = 12 << 20;

    [Fact]
    public async Task OwnSnapshot_IsWrittenNoFasterThanItsRate_AndLoadsWhole()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var data = Data();
        const long rate = 48L << 20;

        var clock = Stopwatch.StartNew();
        await store.SaveAsync(new SnapshotMarker(9, 2), [1, 2, 3], [], data.Length, s => WriteInPieces(s, data), Ct, rate);
        clock.Stop();

        // 12 MiB at 48 MiB/s is due at 250 ms; the pacing sleeps until each step is due, so it cannot end sooner.
        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(240), "the writer may not run ahead of its rate");
        var load = await store.LoadNewestAsync(_ => true, Ct);
        load.Snapshot!.Data.ToArray().Should().Equal(data);
    }

    [Fact]
    public async Task OwnSnapshot_Cancelled_StopsBetweenSteps_AndLeavesNoFile()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var data = Data();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(100));

        // 12 MiB at 16 MiB/s would take 750 ms; the token ends it in a wait between steps.
        var save = () => store.SaveAsync(new SnapshotMarker(9, 2), [1, 2, 3], [], data.Length, s => WriteInPieces(s, data), cancel.Token, 16L << 20);

        await save.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFiles(t.Member.Snap).Should().BeEmpty("an unfinished snapshot leaves no file, temporary or final");
        store.List().Should().BeEmpty();
    }

    [Fact]
    public async Task ReceivedSnapshot_IsWrittenUnpaced_AndLoadsWhole()
    {
        using var t = new TempWal();
        var store = new SnapshotStore(t.Member.Snap, NullLogger.Instance);
        var data = Data();

        await store.SaveAsync(new SnapshotFile(9, 2, [1, 2, 3], [], data), Ct);

        var load = await store.LoadNewestAsync(_ => true, Ct);
        load.Snapshot!.Data.ToArray().Should().Equal(data);
    }

    [Fact]
    public void Writeback_OfAFileWrittenInStepsAndPieces_LeavesItsBytesIntact()
    {
        using var t = new TempWal();
        Directory.CreateDirectory(t.Member.Snap);
        var path = Path.Combine(t.Member.Snap, "paced.bin");
        var data = Data();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            file.Write(data.AsSpan(0, 100));
            using var stream = new WritebackStream(file, bytesPerSecond: 0);
            WriteInPieces(stream, data.AsSpan(100).ToArray());
            file.Flush(flushToDisk: true);
        }

        File.ReadAllBytes(path).Should().Equal(data, "a writer that starts past offset 0 is paced from where it starts");
    }

    private static byte[] Data()
    {
        var data = new byte[DataBytes];
        new Random(7).NextBytes(data);
        return data;
    }

    /// <summary>Uneven pieces, so steps end inside writes.</summary>
    private static void WriteInPieces(Stream s, byte[] data)
    {
        for (int at = 0, piece = 1; at < data.Length; piece = (piece * 7 % 300_001) + 1)
        {
            var n = Math.Min(piece, data.Length - at);
            s.Write(data, at, n);
            at += n;
        }
    }
}
