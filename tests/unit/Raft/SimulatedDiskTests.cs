using K3sLab.Scenarios.Simulation;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class SimulatedDiskTests
{
    private static Entry E(ulong index, ulong term, string data = "x") => new(index, term, System.Text.Encoding.UTF8.GetBytes(data + index));

    [Fact]
    public void PowerLoss_UnsyncedWrites_Lost()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 1), [E(1, 1), E(2, 1)]);
        disk.Sync();
        disk.Write(new HardState(2, 2, 2), [E(3, 2)]);
        disk.PowerLoss(new Random(1), tornChance: 0);
        var r = disk.Recover();
        r.HardState.Should().Be(new HardState(1, 1, 1));
        r.Log.Select(e => e.Index).Should().Equal(1UL, 2UL);
    }

    [Fact]
    public void Recover_AfterProcessCrash_KeepsPageCache()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 0), [E(1, 1)]);
        disk.Recover().Log.Should().ContainSingle();
    }

    [Fact]
    public void Recover_OverwrittenSuffix_ReplaysInOrder()
    {
        var disk = new SimulatedDisk();
        disk.Write(null, [E(1, 1), E(2, 1), E(3, 1)]);
        disk.Write(new HardState(2, 0, 1), [E(2, 2, "y")]);
        disk.Sync();
        disk.Recover().Log.Select(e => (e.Index, e.Term)).Should().Equal((1UL, 1UL), (2UL, 2UL));
    }

    [Fact]
    public void PowerLoss_TornTail_DroppedAndNeverCorrupt()
    {
        for (var seed = 0; seed < 500; seed++)
        {
            var disk = new SimulatedDisk();
            disk.Write(new HardState(1, 1, 2), [E(1, 1), E(2, 1)]);
            disk.Sync();
            disk.Write(new HardState(1, 1, 5), [E(3, 1, "abcdefgh"), E(4, 1, "ijkl"), E(5, 1)]);
            var random = new Random(seed);
            disk.PowerLoss(random, tornChance: 1);
            var r = disk.Recover();
            r.Log.Count.Should().BeInRange(2, 5, $"seed {seed}");
            r.Log.Select(e => e.Index).Should().Equal(Enumerable.Range(1, r.Log.Count).Select(i => (ulong)i), $"seed {seed}");
            r.Log.Should().OnlyContain(e => e.Data.Length > 0 && e.Data[e.Data.Length - 1] == (byte)('0' + (int)e.Index), $"seed {seed}: a torn record must never be read back");
            disk.Recover().DroppedTailBytes.Should().Be(0, "recovery repairs the file to its valid prefix");
        }
    }

    [Fact]
    public void Recover_ChecksumFailureInTheMiddle_ReportsCorruption()
    {
        var disk = new SimulatedDisk();
        disk.Write(new HardState(1, 1, 3), [E(1, 1), E(2, 1), E(3, 1), E(4, 1)]);
        disk.Sync();
        disk.CorruptSynced(new Random(3));
        var recover = () => disk.Recover();
        recover.Should().Throw<WalCorruptionException>();
    }
}
