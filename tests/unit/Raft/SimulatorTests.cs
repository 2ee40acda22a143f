using K3sLab.Scenarios.Simulation;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class SimulatorTests
{
    [Fact]
    public void Run_200SeedsWithMixedFaults_NoSafetyOrLivenessFailure()
    {
        var failures = Enumerable.Range(1, 200)
            .Select(seed => new ClusterSimulator(new SimulationOptions(seed)).Run())
            .Where(r => !r.Passed)
            .Select(r => r.ToString())
            .ToList();
        failures.Should().BeEmpty();
    }

    [Fact]
    public void Run_SameSeedTwice_SameOutcome()
    {
        var a = new ClusterSimulator(new SimulationOptions(42)).Run();
        var b = new ClusterSimulator(new SimulationOptions(42)).Run();
        b.Should().Be(a);
        a.AcknowledgedWrites.Should().BePositive("the seed must make progress for the checks to mean anything");
    }

    [Theory]
    [InlineData(PlantedBug.AckBeforeFsync, 200)]
    [InlineData(PlantedBug.ForgetVoteOnRestart, 1000)]
    internal void Run_PlantedBug_CaughtWithinBound(PlantedBug bug, int seeds)
    {
        var caught = Enumerable.Range(1, seeds)
            .Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Bug = bug }).Run())
            .FirstOrDefault(r => !r.Passed);
        caught.Should().NotBeNull($"planted bug {bug} must be caught");
    }
}
