using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>State snapshots: a copy answers exactly like the original, and a damaged stream is refused.</summary>
[Trait("Category", "Unit")]
public sealed class MvccStateSnapshotTests
{
    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void ReadSnapshot_AfterRandomLog_AnswersLikeTheOriginal(int seed)
    {
        var w = new StoreWorkload(seed);
        var original = new MvccState();
        for (var i = 0; i < 300; i++)
        {
            original.Apply(w.Command(original.Revision, original.CompactRevision, original.LeaseIds()), out _);
        }

        var bytes = MvccStateTests.Snapshot(original);
        var copy = MvccState.ReadSnapshot(new MemoryStream(bytes));

        MvccStateTests.Snapshot(copy).Should().Equal(bytes);
        (copy.Revision, copy.CompactRevision, copy.KeyCount, copy.VersionCount).Should().Be((original.Revision, original.CompactRevision, original.KeyCount, original.VersionCount));
        copy.HashKv(0).Should().Be(original.HashKv(0));
        copy.LeaseIds().Should().Equal(original.LeaseIds());
        foreach (var id in original.LeaseIds())
        {
            copy.LeaseKeys(id).Should().BeEquivalentTo(original.LeaseKeys(id), o => o.WithStrictOrdering());
        }

        for (var revision = Math.Max(1, original.CompactRevision); revision <= original.Revision; revision++)
        {
            var everything = new RangeQuery(new KeyRange([0], [0]), revision);
            StoreText.Result(copy.Range(everything)).Should().Be(StoreText.Result(original.Range(everything)));
            copy.HashKv(revision).Should().Be(original.HashKv(revision));
        }

        var from = original.CompactRevision + 1;
        StoreText.Events(copy.History(from, copy.Revision, 10_000).Events).Should().Be(StoreText.Events(original.History(from, original.Revision, 10_000).Events));

        // Both go on applying the same log identically.
        for (var i = 0; i < 100; i++)
        {
            var command = w.Command(original.Revision, original.CompactRevision, original.LeaseIds());
            StoreText.Command(copy.Apply(command, out _)).Should().Be(StoreText.Command(original.Apply(command, out _)));
        }

        MvccStateTests.Snapshot(copy).Should().Equal(MvccStateTests.Snapshot(original));
    }

    [Theory]
    [InlineData(23)]
    [InlineData(24)]
    public void CapturedView_WrittenAfterMoreApplies_HoldsTheStateAtCapture(int seed)
    {
        // The host captures on its loop and encodes on another thread while applies (compactions included) go on.
        var w = new StoreWorkload(seed);
        var state = new MvccState();
        for (var i = 0; i < 200; i++)
        {
            state.Apply(w.Command(state.Revision, state.CompactRevision, state.LeaseIds()), out _);
        }

        var atCapture = MvccStateTests.Snapshot(state);
        var view = state.CaptureSnapshot();
        var compacted = false;
        for (var i = 0; i < 300; i++)
        {
            var result = state.Apply(w.Command(state.Revision, state.CompactRevision, state.LeaseIds()), out _);
            compacted |= result is CompactApplied;
        }

        state.Apply(new CompactCommand(state.Revision), out _);
        using var later = new MemoryStream();
        view.WriteTo(later);

        compacted.Should().BeTrue("the workload compacts, so the view must survive changes leaving the revision log");
        later.ToArray().Should().Equal(atCapture);
        MvccStateTests.Snapshot(state).Should().NotEqual(atCapture);
    }

    [Theory]
    [InlineData(25)]
    [InlineData(26)]
    public void CapturedView_Length_IsWhatItWrites(int seed)
    {
        // The host sizes the snapshot's one array from Length before writing into it.
        var w = new StoreWorkload(seed);
        var state = new MvccState();
        state.CaptureSnapshot().Length.Should().Be(MvccStateTests.Snapshot(state).Length);
        for (var i = 0; i < 400; i++)
        {
            state.Apply(w.Command(state.Revision, state.CompactRevision, state.LeaseIds()), out _);
            if (i % 50 == 49)
            {
                var view = state.CaptureSnapshot();
                using var written = new MemoryStream();
                view.WriteTo(written);
                view.Length.Should().Be(written.Length, "after {0} commands", i + 1);
            }
        }

        state.LeaseIds().Should().NotBeEmpty("the workload grants leases, whose records are part of the length");
    }

    [Fact]
    public void ReadSnapshot_EmptyState_RoundTrips()
    {
        var copy = MvccState.ReadSnapshot(new MemoryStream(MvccStateTests.Snapshot(new MvccState())));
        (copy.Revision, copy.CompactRevision, copy.KeyCount).Should().Be((1L, 0L, 0));
    }

    [Fact]
    public void ReadSnapshot_AnyFlippedByte_Throws()
    {
        var state = new MvccState();
        state.Apply(new LeaseGrantCommand(1, 60), out _);
        state.Apply(new TxnCommand(TxnRequest.Of(new PutOp("key"u8.ToArray(), "value"u8.ToArray(), 1))), out _);
        var bytes = MvccStateTests.Snapshot(state);
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            FluentActions.Invoking(() => MvccState.ReadSnapshot(new MemoryStream(damaged))).Should().Throw<InvalidDataException>("byte {0} was changed", i);
        }
    }

    [Fact]
    public void ReadSnapshot_Truncated_Throws()
    {
        var state = new MvccState();
        state.Apply(new TxnCommand(TxnRequest.Of(new PutOp("key"u8.ToArray(), "value"u8.ToArray()))), out _);
        var bytes = MvccStateTests.Snapshot(state);
        for (var length = 0; length < bytes.Length; length++)
        {
            FluentActions.Invoking(() => MvccState.ReadSnapshot(new MemoryStream(bytes[..length]))).Should().Throw<InvalidDataException>("{0} bytes", length);
        }
    }
}
