using K3sLab.Lab.Cluster;
using K3sLab.Tests.Support;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// k3s#7000 on real containers: <c>k3slab up --servers 5</c> starts four servers joining one at the same moment. The
/// embedded store takes one learner at a time, so the others are told "too many learner members in cluster"; they
/// must wait and retry rather than exit. Every server ends a voter, joined once, and no container was restarted.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ConcurrentJoinTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    [Fact]
    public async Task FourServersJoiningAtOnce_AllBecomeVoters_WithoutARestart()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        // Creation itself waits until all five servers are Ready and voters, or fails with the nodes' last log lines.
        await using var cluster = await new K3sLabClusterBuilder().WithServers(5).WithAgents(0).BuildAndStartAsync(ct);

        var waits = 0;
        for (var i = 0; i < 5; i++)
        {
            var node = cluster.Node($"server-{i}").Node;
            (await cluster.Provider.InspectAsync(node, ct)).RestartCount.Should().Be(0, $"{node.Name} must not exit while it waits for the learner slot");
            var log = await cluster.Provider.LogsAsync(node, ct);
            var added = log.Split('\n').Count(l => l.Contains("Added as learner", StringComparison.Ordinal));
            added.Should().Be(i == 0 ? 0 : 1, $"{node.Name} joins exactly once:\n{string.Join('\n', log.Split('\n').TakeLast(30))}");
            waits += log.Split('\n').Count(l => l.Contains("must wait: ", StringComparison.Ordinal));
        }

        TestContext.Current.SendDiagnosticMessage($"the joining servers waited for the learner slot {waits} time(s)");
    }
}
