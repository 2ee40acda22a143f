using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// Two library scenarios in Docker that the other smoke tests do not reach: clients and watchers on the etcd v3 API of
/// the servers' embedded members while the leader is cut off (<c>store-leader-partition</c>), and the kill of the
/// server each agent's load balancer is using, timed from the agents' own logs (<c>agent-active-server-kill</c>).
/// </summary>
[Trait("Category", "Chaos")]
public sealed class StoreAndAgentScenarioTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-store-agent-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task StoreLeaderPartition_EtcdApiClientsAndWatchers_PassEveryCheck()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(ScenarioLibrary.Find("store-leader-partition"), new ChaosSessionOptions(1, 21, _reports, null), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Record.Operations.Count(o => o.Key.StartsWith("store-", StringComparison.Ordinal) && o.Outcome == OperationOutcome.Ok).Should().BeGreaterThan(500, "the etcd API clients kept working");
        run.Record.Operations.Should().OnlyContain(o => o.Key.StartsWith("store-", StringComparison.Ordinal) || o.Client < 1000, "only store-load ran");
        run.Checks.Single(c => c.Name == "watch-guarantees").Summary.Should().StartWith("etcd API: ").And.Contain("all six guarantees held");
    }

    [Fact]
    public async Task AgentActiveServerKill_EveryBalancerMovesWithinASecond()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(ScenarioLibrary.Find("agent-active-server-kill"), new ChaosSessionOptions(1, 31, _reports, null), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        var failover = run.Checks.Single(c => c.Name == "agent-failover");
        failover.Summary.Should().MatchRegex("^[2-4] failovers", "each kill took down the server at least the agent it was chosen for was using");
        failover.Summary.Should().Contain("agent-0: ").And.Contain("agent-1: ").And.Contain("out of ACTIVE after");
    }
}
