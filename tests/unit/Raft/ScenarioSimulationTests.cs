using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Simulation;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Raft.Tests;

/// <summary>The chaos library's YAML scenarios run in the deterministic simulator (<c>k3slab sim --scenario</c>).</summary>
[Trait("Category", "Unit")]
public sealed class ScenarioSimulationTests
{
    private const int Seeds = 10;

    /// <summary>Library scenarios whose faults the simulator expresses: their servers' datastore members are all it models.</summary>
    public static readonly TheoryData<string> Simulatable =
    [
        "agent-active-server-kill",
        "agent-ip-change",
        "agent-rotating-outages",
        "agent-server-death",
        "alternating-outages",
        "cluster-power-loss-lossy-disk",
        "cold-restart-without-init-server",
        "frozen-leader",
        "leader-partition",
        "leader-power-loss",
        "majorities-ring",
        "majority-loss",
        "minority-partition",
        "rolling-restart",
        "store-leader-partition",
        "whole-cluster-restart",
    ];

    [Fact]
    public void From_EveryLibraryScenario_IsSimulatedOrRefusedWithItsReason()
    {
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in ScenarioLibrary.All())
        {
            try
            {
                ScenarioPlan.From(definition);
            }
            catch (ScenarioNotSimulatableException e)
            {
                refused[definition.Name] = e.Message;
            }
        }

        ScenarioLibrary.All().Select(d => d.Name).Except(refused.Keys).Should().BeEquivalentTo(Simulatable.Select(row => row.Data));
        refused["server-ip-change"].Should().Contain("line").And.Contain("address change");
        refused["concurrent-server-joins"].Should().Contain("join flow");
        refused["reimaged-agent"].Should().Contain("sqlite");
        refused["etcd-member-loss"].Should().Contain("embedded store").And.Contain("etcd");
        refused["sqlite-power-loss"].Should().Contain("sqlite");
        refused["sqlite-power-loss-lossy-disk"].Should().Contain("sqlite");
        refused["split-etcd-leader-loss"].Should().Contain("split");
    }

    [Theory]
    [MemberData(nameof(Simulatable))]
    public void Run_LibraryScenario_PassesEverySeed(string name)
    {
        var plan = ScenarioPlan.From(ScenarioLibrary.Find(name));
        var results = Enumerable.Range(1, Seeds).Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Scenario = plan }).Run()).ToList();

        results.Where(r => !r.Passed).Select(r => r.ToString()).Should().BeEmpty();
        results.Should().OnlyContain(r => r.AcknowledgedWrites > 0 && r.ScriptSteps.Count == plan.Definition.Steps.Count);
        results.Should().OnlyContain(r => !r.Stats.LinearizabilityUndecided);
    }

    [Fact]
    public void Run_LeaderPowerLoss_LosesPowerWithUnsyncedBytesAndElectsAnotherLeader()
    {
        var plan = ScenarioPlan.From(ScenarioLibrary.Find("leader-power-loss"));
        var result = new ClusterSimulator(new SimulationOptions(3) { Scenario = plan, Trace = true }).Run();
        var seeds = Enumerable.Range(1, 50).Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Scenario = plan }).Run()).ToList();

        result.Passed.Should().BeTrue(result.ToString());
        result.Stats.PowerLosses.Should().Be(1);
        result.Trace.Should().Contain(l => l.Contains("loses power", StringComparison.Ordinal));
        seeds.Should().OnlyContain(r => r.Passed && r.Stats.PowerLosses == 1);
        seeds.Sum(r => r.Stats.PowerLossesWithUnsynced).Should().BePositive("a kill may land between a WAL write and its fsync, and the power loss drops those bytes");
        var elected = result.ScriptSteps.Single(s => s.Step.StartsWith("expect: a leader other than victim", StringComparison.Ordinal));
        elected.Skipped.Should().BeNull();
        elected.Took.Should().BeLessThan(15, "the scenario allows 15 s");
        plan.Skipped.Should().Contain(s => s.Contains("nodes-stayed-ready", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SameSeedTwice_IdenticalTrace()
    {
        var plan = ScenarioPlan.From(ScenarioLibrary.Find("minority-partition"));
        var a = new ClusterSimulator(new SimulationOptions(11) { Scenario = plan, Trace = true }).Run();
        var b = new ClusterSimulator(new SimulationOptions(11) { Scenario = plan, Trace = true }).Run();

        b.TraceHash.Should().Be(a.TraceHash);
        b.Trace.Should().Equal(a.Trace);
        b.ScriptSteps.Should().Equal(a.ScriptSteps);
    }

    [Fact]
    public void Run_LeaderPartitionWithCommitWithoutQuorum_FailsAWritesRefusedWindowOrTheChecks()
    {
        var plan = ScenarioPlan.From(ScenarioLibrary.Find("leader-partition"));
        var caught = Enumerable.Range(1, Seeds)
            .Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Scenario = plan, Bug = PlantedBug.CommitWithoutQuorum }).Run())
            .Where(r => !r.Passed)
            .ToList();

        caught.Should().NotBeEmpty("a leader that commits without a quorum acknowledges writes while cut off");
        caught.Should().OnlyContain(r => r.Kind == FailureKind.Safety);
    }

    [Fact]
    public void Run_MinorityPartitionWithStaleReads_FailsLinearizability()
    {
        var plan = ScenarioPlan.From(ScenarioLibrary.Find("minority-partition"));
        var results = Enumerable.Range(1, 3).Select(seed => new ClusterSimulator(new SimulationOptions(seed) { Scenario = plan, Bug = PlantedBug.StaleReadAnyMember }).Run()).ToList();

        results.Should().OnlyContain(r => r.Kind == FailureKind.Safety && r.Failure!.StartsWith("history not linearizable on key", StringComparison.Ordinal), "members answering reads from their own state serve stale values");
    }

    [Fact]
    public void Run_MajorityLossExpectingWritesWithoutQuorum_FailsWithTheStepAndItsLine()
    {
        const string yaml = """
            name: wrong-majority-loss
            description: Expects writes where there can be none.
            cluster: {servers: 3, agents: 0}
            steps:
              - load: {clients: 2, keys: 4, via: lb}
              - wait: 2s
              - kill: server-0
              - kill: server-1
              - expect: {writes: ok, via: lb, within: 5s}
            checks:
              - linearizable
            """;
        var plan = ScenarioPlan.From(ScenarioParser.Parse(yaml, "test"));
        var result = new ClusterSimulator(new SimulationOptions(1) { Scenario = plan }).Run();

        result.Kind.Should().Be(FailureKind.Expectation);
        result.Failure.Should().Contain("line 9").And.Contain("writes ok via lb").And.Contain("within 5 s");
    }

    [Fact]
    public void Run_WritesRefusedThroughTheMajority_FailsAsSoonAsOneIsAcknowledged()
    {
        const string yaml = """
            name: wrong-minority
            description: Claims the majority side refuses writes.
            cluster: {servers: 3, agents: 0}
            steps:
              - load: {clients: 3, keys: 4, via: each-server}
              - wait: 2s
              - isolate: {node: server-2}
              - expect: {writes: refused, via: server-0, for: 10s}
            checks:
              - linearizable
            """;
        var plan = ScenarioPlan.From(ScenarioParser.Parse(yaml, "test"));
        var result = new ClusterSimulator(new SimulationOptions(1) { Scenario = plan }).Run();

        result.Kind.Should().Be(FailureKind.Safety);
        result.Failure.Should().Contain("line 8").And.Contain("member 1 acknowledged");
    }

    [Fact]
    public void Run_WriteGapBoundBelowTheOutage_FailsTheWriteGap()
    {
        const string yaml = """
            name: tight-gap
            description: Stops two servers for 5 s under a 1 s write-gap bound.
            cluster: {servers: 3, agents: 0}
            steps:
              - load: {clients: 2, keys: 4, via: lb}
              - wait: 2s
              - stop: server-0
              - stop: server-1
              - wait: 5s
              - start: server-0
              - start: server-1
              - expect: {voters: 3, within: 30s}
              - stop-load
            checks:
              - write-gap: {max: 1s}
            """;
        var plan = ScenarioPlan.From(ScenarioParser.Parse(yaml, "test"));
        var result = new ClusterSimulator(new SimulationOptions(2) { Scenario = plan }).Run();

        result.Kind.Should().Be(FailureKind.Expectation);
        result.Failure.Should().StartWith("write-gap: no write acknowledged for");
        result.WidestWriteGap.Seconds.Should().BeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public void From_ScenarioOnOneServer_IsRefused()
    {
        const string yaml = """
            name: single
            description: One server.
            cluster: {servers: 1, agents: 1, datastore: embedded}
            steps:
              - load: {clients: 1, keys: 2, via: lb}
            checks:
              - linearizable
            """;
        var act = () => ScenarioPlan.From(ScenarioParser.Parse(yaml, "test"));

        act.Should().Throw<ScenarioNotSimulatableException>().WithMessage("*at least 3 members*");
    }
}
