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

    [Theory]
    [InlineData(PlantedBug.AckBeforeFsync, 150)]
    [InlineData(PlantedBug.ForgetVoteOnRestart, 150)]
    [InlineData(PlantedBug.StaleLocalRead, 50)]
    [InlineData(PlantedBug.CorruptSyncedWal, 50)]
    internal void Run_PlantedBug_CaughtWithinBound(PlantedBug bug, int seeds)
    {
        var caught = Enumerable.Range(1, seeds)
            .Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Bug = bug }).Run())
            .FirstOrDefault(r => !r.Passed);
        caught.Should().NotBeNull($"planted bug {bug} must be caught within {seeds} seeds");
    }
}
