using k8s;
using K3sLab.Lab.Cluster;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// A scenario whose fault cannot be applied, on a real lab cluster whose nodes lack NET_ADMIN: the run stops at that
/// step with a message naming the node and the missing capability, still heals, checks and writes its reports, and
/// leaves the cluster serving.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ScenarioBadInputTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private const string Scenario = """
        name: isolate-without-net-admin
        description: A partition on a cluster whose nodes cannot change their iptables rules.
        cluster: {servers: 1, agents: 0}
        steps:
          - load: {clients: 1, keys: 4, via: lb}
          - wait: 2s
          - isolate: server-0
          - wait: 30s
          - stop-load
        checks:
          - no-lost-writes
        """;

    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-badinput-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task FaultOnNodeWithoutNetAdmin_StopsWithClearMessage_StillHealsChecksAndReports()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithServers(1).WithoutNetworkAdmin().BuildAndStartAsync(ct);
        var scenario = ScenarioParser.Parse(Scenario, "isolate-without-net-admin.yaml");

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 1, _reports, cluster.Name), ct)).Single();

        run.Passed.Should().BeFalse(run.Verdict);
        var failed = run.Steps.Single(s => !s.Passed);
        failed.Step.Should().StartWith("isolate");
        failed.Message.Should().Contain($"k3slab-{cluster.Name}-server-0").And.Contain("lacks NET_ADMIN");
        run.Steps.Should().HaveCount(3, "the first failed step ends the list: the 30 s wait never ran");
        run.Error.Should().BeNull("the cluster was whole again after the heal");
        run.Checks.Single().Passed.Should().BeTrue("writes acknowledged before the failed step are all there");
        var folder = Path.Combine(_reports, "isolate-without-net-admin");
        foreach (var report in new[] { "run-1/result.json", "run-1/summary.md", "run-1/report.html", "run-1/junit.xml", "summary.md", "junit.xml" })
        {
            File.Exists(Path.Combine(folder, report)).Should().BeTrue(report);
        }

        (await File.ReadAllTextAsync(Path.Combine(folder, "run-1", "summary.md"), ct)).Should().Contain("lacks NET_ADMIN");
        using var client = cluster.KubernetesClient();
        (await client.CoreV1.ListNodeAsync(cancellationToken: ct)).Items.Should().ContainSingle();
    }
}
