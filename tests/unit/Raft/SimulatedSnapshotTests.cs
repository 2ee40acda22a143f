using K3sLab.Scenarios.Simulation;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class SimulatedSnapshotTests
{
    private static readonly ConfState s_three = new([1, 2, 3], []);

    private static Entry E(ulong index, ulong term) => new(index, term, System.Text.Encoding.UTF8.GetBytes($"{index} put k v{index}"));

    private static Snapshot Snap(ulong index, ulong term) => new(index, term, s_three, [(byte)index]);

    [Fact]
    public void Recover_AfterCompaction_SnapshotAndEntriesAfterIt()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 4), [E(1, 1), E(2, 1), E(3, 1), E(4, 1)]);
        disk.Snapshots.Write(Snap(2, 1));
        disk.Snapshots.Sync(2);
        disk.WriteSnapshotRecord(Snap(2, 1), replacesLog: false);
        disk.Sync();
        var r = disk.Recover();
        r.Snapshot!.Index.Should().Be(2UL);
        r.Snapshot.Data.Should().Equal((byte)2);
        r.Log.Select(e => e.Index).Should().Equal(3UL, 4UL);
    }

    [Fact]
    public void Recover_AfterReceivedSnapshot_DropsEveryEarlierEntry()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 1), [E(1, 1), E(2, 1), E(3, 1)]);
        disk.Snapshots.Write(Snap(7, 2));
        disk.Snapshots.Sync(7);
        disk.WriteSnapshotRecord(Snap(7, 2), replacesLog: true);
        disk.Write(new HardState(2, 0, 7), [E(8, 2)]);
        disk.Sync();
        var r = disk.Recover();
        r.Snapshot!.Index.Should().Be(7UL);
        r.Log.Select(e => (e.Index, e.Term)).Should().Equal((8UL, 2UL));
        r.HardState.Commit.Should().Be(7UL);
    }

    [Fact]
    public void Recover_ConfChangeEntry_KeepsItsType()
    {
        var disk = new SimulatedDisk();
        var change = new ConfChange(ConfChangeType.AddLearner, 4, []);
        disk.Write(null, [new Entry(1, 1, change.Encode()) { Type = EntryType.ConfChange }]);
        var e = disk.Recover().Log.Should().ContainSingle().Subject;
        e.Type.Should().Be(EntryType.ConfChange);
        ConfChange.Decode(e.Data).Should().Be(change with { Context = e.Data[10..] });
    }

    [Fact]
    public void PowerLoss_UnsyncedSnapshotFile_GoneAndWalKeepsThePreviousSnapshot()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 3), [E(1, 1), E(2, 1), E(3, 1)]);
        disk.Sync();
        disk.Snapshots.Write(Snap(3, 1)); // crash before its fsync: the WAL never names it
        disk.PowerLoss(new Random(1), tornChance: 0);
        disk.Snapshots.Count.Should().Be(0);
        var r = disk.Recover();
        r.Snapshot.Should().BeNull();
        r.Log.Should().HaveCount(3);
    }

    [Fact]
    public void Recover_SnapshotRecordWithoutItsFile_Corruption()
    {
        var disk = new SimulatedDisk();
        disk.WriteSnapshotRecord(Snap(5, 1), replacesLog: true);
        disk.Sync();
        var recover = () => disk.Recover();
        recover.Should().Throw<WalCorruptionException>().WithMessage("*snapshot 5@t1*missing*");
    }

    [Fact]
    public void Save_ThenRestore_SameStateAndEvents()
    {
        var kv = new RevisionedKv();
        kv.Apply(1, new KvCommand(1, KvCommandKind.Put, "a") { Value = "x" }.Encode());
        kv.Apply(2, new KvCommand(2, KvCommandKind.PutPair, "a") { Value = "y", Key2 = "b", Value2 = "z" }.Encode());
        kv.Apply(3, new KvCommand(3, KvCommandKind.Get, "a").Encode());
        var restored = RevisionedKv.Restore(kv.Save());
        restored.AppliedIndex.Should().Be(3UL);
        restored.Revision.Should().Be(2);
        restored.StateHash.Should().Be(kv.StateHash);
        restored.Events.Should().Equal(kv.Events);
        restored.EventsAt(2).ToArray().Should().HaveCount(2);
    }

    [Fact]
    public void Restore_EmptyData_EmptyStore()
    {
        var kv = RevisionedKv.Restore([]);
        kv.AppliedIndex.Should().Be(0UL);
        kv.Events.Should().BeEmpty();
    }
}
