using K3sLab.Scenarios.Simulation;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class SimulatorTests
{
    private static readonly SimulationResult[] s_fixedSeeds = [.. Enumerable.Range(1, 200).Select(seed => new ClusterSimulator(new SimulationOptions(seed)).Run())];

    [Fact]
    public void Run_200SeedsWithMixedFaults_NoSafetyOrLivenessFailure()
    {
        s_fixedSeeds.Where(r => !r.Passed).Select(r => r.ToString()).Should().BeEmpty();
        s_fixedSeeds.Should().OnlyContain(r => !r.Stats.LinearizabilityUndecided);
    }

    [Fact]
    public void Run_200Seeds_EveryFaultKindHappens()
    {
        // The seeds must actually exercise what they claim to, or passing means nothing.
        s_fixedSeeds.Sum(r => r.Stats.PowerLosses).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.Crashes - r.Stats.PowerLosses).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.TornTails).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.Partitions).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.Pauses).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.IndeterminateOperations).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.WatchEvents).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.SnapshotsMade).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.SnapshotsReceived).Should().BePositive("compaction must be frequent enough that leaders send snapshots");
        s_fixedSeeds.Sum(r => r.Stats.Isolations).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.Transfers).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.ConfChanges).Should().BePositive();
        s_fixedSeeds.Sum(r => r.Stats.ReadIndexReads).Should().BePositive();
        s_fixedSeeds.Select(r => r.Stats.Members).Distinct().Should().BeEquivalentTo([3, 5]);
        s_fixedSeeds.Should().OnlyContain(r => r.AcknowledgedWrites > 0, "every seed must make progress for its checks to mean anything");
    }

    [Theory]
    [InlineData(42)]
    [InlineData(7)]
    internal void Run_SameSeedTwice_IdenticalTrace(int seed)
    {
        var a = new ClusterSimulator(new SimulationOptions(seed) { Trace = true }).Run();
        var b = new ClusterSimulator(new SimulationOptions(seed) { Trace = true }).Run();
        var quiet = new ClusterSimulator(new SimulationOptions(seed)).Run();
        b.TraceHash.Should().Be(a.TraceHash, $"seed {seed} must replay exactly");
        b.Trace.Should().Equal(a.Trace);
        quiet.TraceHash.Should().Be(a.TraceHash, "tracing must not change the run");
        quiet.Stats.Should().Be(a.Stats);
    }

    [Fact]
    public void Run_DifferentSeeds_DifferentTraces()
    {
        s_fixedSeeds.Select(r => r.TraceHash).Distinct().Should().HaveCount(s_fixedSeeds.Length);
    }

    /// <summary>
    /// Each planted bug with the first seed (from 1) that catches it, as measured with <c>k3slab sim --plant-bug</c>
    /// (docs/performance.md): that seed fails with the bug and passes without it, so the failure is the bug's.
    /// </summary>
    [Theory]
    [InlineData(PlantedBug.AckBeforeFsync, 26)]
    [InlineData(PlantedBug.ForgetVoteOnRestart, 256)]
    [InlineData(PlantedBug.StaleLocalRead, 10)]
    [InlineData(PlantedBug.CorruptSyncedWal, 5)]
    [InlineData(PlantedBug.ReadBeforeApplied, 58)]
    [InlineData(PlantedBug.CountLearnerVote, 302)]
    [InlineData(PlantedBug.CommitWithoutQuorum, 1)]
    internal void Run_PlantedBug_FirstCatchingSeedFailsOnlyWithTheBug(PlantedBug bug, int seed)
    {
        var withBug = new ClusterSimulator(new SimulationOptions(seed) { Bug = bug }).Run();
        var without = new ClusterSimulator(new SimulationOptions(seed)).Run();
        withBug.Passed.Should().BeFalse($"planted bug {bug} must be caught by seed {seed}");
        without.Passed.Should().BeTrue(without.ToString());
    }

    [Fact]
    public void Run_200SeedsWithPeerDownReports_NoSafetyOrLivenessFailure()
    {
        // Followers told of their leader's death campaign early, and wrong reports about live leaders happen too:
        // neither may cost safety or convergence.
        var results = Enumerable.Range(1, 200).AsParallel().Select(seed => new ClusterSimulator(new SimulationOptions(seed) { PeerDownReports = true }).Run()).ToList();

        results.Where(r => !r.Passed).Select(r => r.ToString()).Should().BeEmpty();
        results.Sum(r => r.Stats.PeerDownReports).Should().BePositive();
        results.Sum(r => r.Stats.WrongPeerDownReports).Should().BePositive();
    }

    [Fact]
    public void RaftConfig_Default_TestOnlyPlantedBugHooksOff()
    {
        new RaftConfig().CountLearnerVotes.Should().BeFalse();
        new RaftConfig().CommitWithoutQuorum.Should().BeFalse();
    }
}
