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

    [Fact]
    public void Run_AckBeforeFsyncPlanted_CaughtWithin500Seeds()
    {
        var caught = Enumerable.Range(1, 500)
            .Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Bug = PlantedBug.AckBeforeFsync }).Run())
            .FirstOrDefault(r => !r.Passed);
        caught.Should().NotBeNull("acknowledging before fsync must lose data under power loss");
    }
}
