using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// <c>k3slab up --topology split</c> on the real engine with the real node image: three etcd-only k3s servers hold
/// the embedded store, two control-plane-only servers serve the API as its clients, and an agent joins through the
/// balancer. Only the control-plane servers and the agent register Nodes; the objects written through the API are
/// in the etcd-only servers' store; losing the etcd-only server the control plane was pointed at keeps the API
/// serving (the servers follow the store's voters), and the cluster stops and starts again in order.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LabTopologyTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    [Fact]
    public async Task Split_EtcdOnlyAndControlPlaneServers_ServeTheApi_AndSurviveLosingAnEtcdServer()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithName("sp" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])).WithServers(2).WithAgents(1).WithDatastore(LabDatastore.Split).BuildAndStartAsync(ct);

        cluster.Info.Nodes.Select(n => n.Role).Should().BeEquivalentTo([NodeRole.EtcdServer, NodeRole.EtcdServer, NodeRole.EtcdServer, NodeRole.Server, NodeRole.Server, NodeRole.Agent, NodeRole.LoadBalancer]);
        var nodes = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
        nodes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().BeEquivalentTo([$"k3slab-{cluster.Name}-server-0=True", $"k3slab-{cluster.Name}-server-1=True", $"k3slab-{cluster.Name}-agent-0=True"], nodes.Stderr);

        var members = await cluster.Node("etcd-server-1").ExecAsync([.. SplitTopology.EtcdctlArgs, "member", "list", "-w", "simple"], ct);
        SplitTopology.Voters(members.Stdout).Should().Be(3, members.Stdout + members.Stderr);
        members.Stdout.Should().NotContain($"k3slab-{cluster.Name}-server-", "the control-plane servers run no member of their own");

        var created = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "create", "configmap", "split-one", "--from-literal=k=v");
        created.ExitCode.Should().Be(0, created.Stderr);
        var stored = await cluster.Node("etcd-server-2").ExecAsync([.. SplitTopology.EtcdctlArgs, "get", "/registry/configmaps/default/split-one", "--keys-only"], ct);
        stored.Stdout.Should().Contain("/registry/configmaps/default/split-one", stored.Stderr);

        await cluster.Node("etcd-server-0").KillAsync(ct);
        var after = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "--request-timeout", "5s", "create", "configmap", "split-two", "--from-literal=k=w"),
            r => r.ExitCode == 0,
            TimeSpan.FromSeconds(60),
            ct);
        after.ExitCode.Should().Be(0, $"the API keeps serving with two of three etcd-only servers: {after.Stderr}");

        await cluster.StopAsync(cancellationToken: ct);
        var started = await cluster.StartAsync(TimeSpan.FromMinutes(3), ct);
        started.ReadyNodes.Should().Be(3, "two control-plane servers and the agent report Ready again");
        var back = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "configmap", "split-two", "-o", "jsonpath={.data.k}");
        back.Stdout.Should().Be("w", back.Stderr);
    }
}
