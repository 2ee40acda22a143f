using k8s;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// <c>k3slab up</c>'s cluster creation on the real engine with the real node image: three servers and an agent
/// become four Ready nodes and three datastore voters, kubectl works through the published load balancer and keeps
/// working when server-0 is killed; a name in use is refused without touching the cluster that has it.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LabUpTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    [Fact]
    public async Task Up_ThreeServersAndAnAgent_AllReady_AndKubectlOutlivesServer0()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithServers(3).WithAgents(1).BuildAndStartAsync(ct);
        cluster.Info.Nodes.Should().HaveCount(5, "three servers, an agent and the load balancer");

        var nodes = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "nodes", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
        nodes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(["True", "True", "True", "True"], nodes.Stderr);
        var context = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "config", "current-context");
        context.Stdout.Trim().Should().Be($"k3slab-{cluster.Name}");
        using (var client = cluster.KubernetesClient())
        {
            (await client.CoreV1.ListNodeAsync(cancellationToken: ct)).Items.Should().HaveCount(4, "the official C# client works with the kubeconfig too");
        }

        await cluster.Node("server-0").KillAsync(ct);
        var after = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "--request-timeout", "5s", "get", "nodes", "-o", "name"),
            r => r.ExitCode == 0,
            TimeSpan.FromSeconds(60),
            ct);
        after.ExitCode.Should().Be(0, $"kubectl keeps working through the load balancer after server-0 dies: {after.Stderr}");
    }

    [Fact]
    public async Task Up_NameInUse_IsRefused_AndTheExistingNodesStay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scratch = await ScratchCluster.CreateAsync(image.Image, ct);
        await scratch.AddNodeAsync(NodeRole.Server, 0, ct);

        var act = () => new ClusterCreator(scratch.Provider, NullLogger.Instance).CreateAsync(new ClusterSpec(scratch.Name, 1, 0, 0, TimeSpan.FromSeconds(60), KeepOnFailure: false), image.Image, ct);

        (await act.Should().ThrowAsync<LabSetupException>()).WithMessage($"Cluster '{scratch.Name}' already exists*k3slab down --name {scratch.Name}*");
        (await scratch.Provider.ListNodesAsync(scratch.Name, ct)).Should().ContainSingle();
    }
}
