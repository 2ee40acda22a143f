using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// The external-datastore scenarios of the chaos library, one run each on a fresh lab cluster of 2 servers and an
/// agent: on a real 3-member etcd cluster, losing the leader keeps writes going, losing quorum makes both servers
/// not ready and refuse writes until a member returns, and the members converge; on a real PostgreSQL, a clean
/// restart and a power loss of the database are ridden out by the servers without restarting, with every
/// acknowledged write kept. A failure message carries the run's verdict and where its reports are.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class DatastoreScenarioTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-datastores-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task EtcdMemberLoss_PassesEveryCheck_AndShowsQuorumLossAndReturn()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(ScenarioLibrary.Find("etcd-member-loss"), new ChaosSessionOptions(1, 7, _reports, null) { ClusterPrefix = "lstore" }, ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Checks.Select(c => c.Name).Should().Equal("linearizable", "watch-guarantees", "no-lost-writes", "one-leader-per-term", "converged", "no-restarts");
        var timeline = run.Record.Timeline;
        var kills = timeline.Where(e => e.Kind == "fault" && e.Text.StartsWith("kill etcd-", StringComparison.Ordinal)).ToList();
        kills.Should().HaveCount(2, "the leader, then a second member");
        timeline.Should().Contain(e => e.Kind == "leader" && e.At > kills[0].At && e.At < kills[1].At, "the two survivors elect a leader");
        timeline.Should().Contain(e => e.Text.StartsWith("readyz failing on server-0 after", StringComparison.Ordinal) && e.At > kills[1].At);
        run.Checks.Single(c => c.Name == "converged").Summary.Should().Contain("etcd-0").And.Contain("etcd-1").And.Contain("etcd-2");
    }

    [Fact]
    public async Task PostgresRestart_PassesEveryCheck_WithWritesAfterEachOutage()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(ScenarioLibrary.Find("postgres-restart"), new ChaosSessionOptions(1, 7, _reports, null) { ClusterPrefix = "lstore" }, ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Checks.Select(c => c.Name).Should().Equal("linearizable", "watch-guarantees", "no-lost-writes", "no-restarts");
        var kill = run.Record.Timeline.Single(e => e.Kind == "fault" && e.Text.StartsWith("kill postgres-0", StringComparison.Ordinal));
        run.Record.Operations.Count(o => o.IsWrite && o.Outcome == OperationOutcome.Ok && o.Call > kill.At * 1e6).Should().BeGreaterThan(10, "writes resume once PostgreSQL is back");
    }
}
