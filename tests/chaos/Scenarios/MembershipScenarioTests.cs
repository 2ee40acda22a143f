using System.Globalization;
using k8s;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// The library scenarios that change the cluster's membership or addresses mid-run, each once on a lab cluster made
/// here (so the nodes' logs can be read after the run): four servers joining one at the same moment under load
/// (k3s#7000) must all become voters without a restart, each added as a learner once; an agent moved to another
/// address with its disk (k3d#550) must come back Ready with the new InternalIP; a server moved the same way must have
/// its datastore member moved and vote again without exiting. Each must pass every check. A
/// failure message carries the run's verdict and where its reports are; the diagnostic messages carry the measured
/// times.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class MembershipScenarioTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-membership-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task ConcurrentServerJoins_FourJoinAtOnce_AllBecomeVotersWithoutARestart_AndEveryCheckPasses()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("concurrent-server-joins");
        await using var cluster = await new K3sLabClusterBuilder().WithName(Name()).WithServers(1).WithAgents(1).WithDatastore(LabDatastore.Embedded).BuildAndStartAsync(ct);

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 17, _reports, cluster.Name), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Checks.Select(c => c.Name).Should().Equal("linearizable", "watch-guarantees", "no-lost-writes", "one-leader-per-term", "converged", "nodes-stayed-ready", "no-restarts", "write-gap");
        run.Record.Timeline.Should().Contain(e => e.Kind == "fault" && e.Text.StartsWith("join server-1, server-2, server-3, server-4 at once", StringComparison.Ordinal));
        run.Checks.Single(c => c.Name == "converged").Summary.Should().Contain("server-4");
        var waits = 0;
        var nodes = await cluster.Provider.ListNodesAsync(cluster.Name, ct);
        foreach (var i in Enumerable.Range(1, 4))
        {
            var log = (await cluster.Provider.LogsAsync(nodes.Single(n => n.Name == $"k3slab-{cluster.Name}-server-{i}"), ct)).Split('\n');
            log.Count(l => l.Contains("Added as learner", StringComparison.Ordinal)).Should().Be(1, $"server-{i} joins exactly once:\n{string.Join('\n', log.TakeLast(30))}");
            waits += log.Count(l => l.Contains("must wait: ", StringComparison.Ordinal));
        }

        var voters = run.Steps.Single(s => s.Step.StartsWith("expect: 5 voters", StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"4 concurrent joins: 5 voters {voters.End - voters.Start:0.0} s after the join step; the joiners waited for the learner slot {waits} time(s); run {run.Duration.TotalSeconds:0} s"));
    }

    [Fact]
    public async Task AgentIpChange_ComesBackReadyWithTheNewInternalIp_AndEveryCheckPasses()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("agent-ip-change");
        await using var cluster = await new K3sLabClusterBuilder().WithName(Name()).WithServers(3).WithAgents(1).BuildAndStartAsync(ct);
        var before = cluster.Node("agent-0").Node.Address;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 19, _reports, cluster.Name), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Checks.Select(c => c.Name).Should().Equal("linearizable", "no-lost-writes", "one-leader-per-term", "converged", "no-restarts", "write-gap");
        var moved = (await cluster.Provider.ListNodesAsync(cluster.Name, ct)).Single(n => n.Name.EndsWith("-agent-0", StringComparison.Ordinal));
        moved.Address.Should().NotBe(before);
        run.Record.Timeline.Should().Contain(e => e.Kind == "fault" && e.Text == $"change-ip agent-0: {before} -> {moved.Address} (stopped, disk carried over, started)");
        using var client = cluster.KubernetesClient();
        var node = await client.CoreV1.ReadNodeAsync(moved.Name, cancellationToken: ct);
        node.Status.Addresses.Where(a => a.Type == "InternalIP").Select(a => a.Address).Should().Equal(moved.Address.ToString());
        var log = await cluster.Provider.LogsAsync(moved, ct);
        log.Should().NotContain("Node password rejected", "the disk, and with it the node password, moved with the node");

        var internalIp = run.Steps.Single(s => s.Step.StartsWith("expect: agent-0 reports", StringComparison.Ordinal));
        var change = run.Steps.Single(s => s.Step.StartsWith("change-ip", StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"agent-0 {before} -> {moved.Address}: change-ip step {change.End - change.Start:0.0} s, new InternalIP {internalIp.End - internalIp.Start:0.0} s after it; run {run.Duration.TotalSeconds:0} s"));
    }

    [Fact]
    public async Task ServerIpChange_ItsMemberIsMovedAndVotesAgain_WithoutARestart_AndEveryCheckPasses()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("server-ip-change");
        await using var cluster = await new K3sLabClusterBuilder().WithName(Name()).WithServers(3).WithAgents(1).WithDatastore(LabDatastore.Embedded).BuildAndStartAsync(ct);
        var before = cluster.Node("server-2").Node.Address;
        var balancer = (await cluster.Provider.ListNodesAsync(cluster.Name, ct)).Single(n => n.Role == NodeRole.LoadBalancer);
        var balancerStarted = await cluster.Provider.InspectAsync(balancer, ct);

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 23, _reports, cluster.Name), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        var moved = (await cluster.Provider.ListNodesAsync(cluster.Name, ct)).Single(n => n.Name.EndsWith("-server-2", StringComparison.Ordinal));
        moved.Address.Should().NotBe(before);
        var log = await cluster.Provider.LogsAsync(moved, ct);
        log.Should().Contain($"The cluster now reaches this member at https://{moved.Address}:2380", "the member had the cluster update its peer URL");
        (await cluster.Provider.InspectAsync(moved, ct)).RestartCount.Should().Be(0, $"the moved server never exited:\n{log}");
        (await cluster.Provider.InspectAsync(balancer, ct)).Should().Be(balancerStarted, "the balancer took the new address in place, without a restart");
        (await cluster.Provider.LogsAsync(balancer, ct)).Should().Contain($"{moved.Address}:6443", "the balancer logged its new list");
        var internalIp = run.Steps.Single(s => s.Step.StartsWith("expect: server-2 reports", StringComparison.Ordinal));
        var voters = run.Steps.Single(s => s.Step.StartsWith("expect: 3 voters", StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"server-2 {before} -> {moved.Address}: new InternalIP {internalIp.End - internalIp.Start:0.0} s, 3 voters {voters.End - voters.Start:0.0} s after; run {run.Duration.TotalSeconds:0} s"));
    }

    private static string Name() => "cj" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3]);
}
