using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
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
        var name = "up" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3]);
        using var docker = DockerEngine.CreateClient();
        var provider = new DockerProvider(docker);
        try
        {
            var cluster = await new ClusterCreator(provider, NullLogger.Instance).CreateAsync(new ClusterSpec(name, 3, 1, 0, TimeSpan.FromSeconds(180), KeepOnFailure: false), image.Image, ct);
            cluster.Nodes.Should().HaveCount(5, "three servers, an agent and the load balancer");

            var nodes = await Kubectl.RunAsync("1.33", cluster.KubeconfigPath, ct, "get", "nodes", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}");
            nodes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(["True", "True", "True", "True"], nodes.Stderr);
            var context = await Kubectl.RunAsync("1.33", cluster.KubeconfigPath, ct, "config", "current-context");
            context.Stdout.Trim().Should().Be($"k3slab-{name}");

            await provider.KillAsync(cluster.Nodes.Single(n => n.Role == NodeRole.Server && n.Index == 0), ct);
            var after = await Eventually.UntilAsync(
                () => Kubectl.RunAsync("1.33", cluster.KubeconfigPath, ct, "--request-timeout", "5s", "get", "nodes", "-o", "name"),
                r => r.ExitCode == 0,
                TimeSpan.FromSeconds(60),
                ct);
            after.ExitCode.Should().Be(0, $"kubectl keeps working through the load balancer after server-0 dies: {after.Stderr}");
        }
        finally
        {
            await provider.DeleteClusterAsync(name, CancellationToken.None);
            var folder = Path.GetDirectoryName(ClusterKubeconfig.PathFor(name))!;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
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
