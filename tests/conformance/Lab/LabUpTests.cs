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
/// working when server-0 is killed; a cluster takes an added server (a fourth voter) and agent, then stopped and
/// started comes back with its data and four voters, exports its logs, and its kubeconfig merges into another file
/// that kubectl reads; a name in use is refused without touching the cluster that has it.
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
    public async Task NodesAdd_ThenStopAndStart_ComeBackHealthyWithTheirData_AServerAddedAfterIsPromoted_AndExportLogsAndMergeWork()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithServers(3).WithAgents(1).BuildAndStartAsync(ct);
        var server = await new NodeAdder(cluster.Provider, NullLogger.Instance).AddAsync(cluster.Name, NodeRole.Server, TimeSpan.FromSeconds(120), ct);
        var agent = await new NodeAdder(cluster.Provider, NullLogger.Instance).AddAsync(cluster.Name, NodeRole.Agent, TimeSpan.FromSeconds(120), ct);
        server.Name.Should().Be($"k3slab-{cluster.Name}-server-3");
        agent.Name.Should().Be($"k3slab-{cluster.Name}-agent-1");
        var created = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "--request-timeout", "5s", "create", "configmap", "kept", "--from-literal=v=before-the-stop"),
            r => r.ExitCode == 0,
            TimeSpan.FromSeconds(30),
            ct);
        created.ExitCode.Should().Be(0, $"the kubeconfig still works through the balancer that now lists the new server: {created.Stderr}");

        var stopped = await cluster.StopAsync(cancellationToken: ct);
        stopped.Select(n => n.Name).Should().HaveCount(7, "every node, the balancer included");
        (await cluster.Provider.ListNodesAsync(cluster.Name, ct)).Should().OnlyContain(n => n.State == "exited");

        var started = await cluster.StartAsync(cancellationToken: ct);
        started.ReadyNodes.Should().Be(6);
        started.Voters.Should().Be(4, "the added server is a voter and comes back as one");
        var kept = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "configmap", "kept", "-o", "jsonpath={.data.v}");
        kept.Stdout.Should().Be("before-the-stop", $"the data outlives the stop: {kept.Stderr}");

        // A server added after the whole-cluster restart is promoted too, whichever member leads now (a leader that
        // joined after the bootstrap sends the joiner its index-0 snapshot: issue 4).
        var later = await new NodeAdder(cluster.Provider, NullLogger.Instance).AddAsync(cluster.Name, NodeRole.Server, TimeSpan.FromSeconds(120), ct);
        later.Name.Should().Be($"k3slab-{cluster.Name}-server-4");

        var exported = Directory.CreateTempSubdirectory("k3slab-export-");
        try
        {
            var files = await new ClusterLogExport(cluster.Provider).ExportAsync(cluster.Name, exported.FullName, ct);
            var server0 = Path.Combine(exported.FullName, $"k3slab-{cluster.Name}-server-0");
            files.Should().Contain([Path.Combine(server0, "inspect.json"), Path.Combine(server0, "node.log"), Path.Combine(exported.FullName, "cluster.txt")]);
            (await File.ReadAllTextAsync(Path.Combine(server0, "inspect.json"), ct)).Should().Contain($"k3slab-{cluster.Name}-server-0");
            (await File.ReadAllTextAsync(Path.Combine(server0, "node.log"), ct)).Should().Contain("k3s", "the server's own output is there");

            var merged = Path.Combine(exported.FullName, "config");
            await File.WriteAllTextAsync(merged, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: \"\"\n", ct);
            (await ClusterKubeconfig.MergeIntoAsync(cluster.Name, merged, switchContext: false, ct)).Should().Be($"k3slab-{cluster.Name}");
            var viaMerged = await Kubectl.RunAsync("1.33", merged, ct, "--context", $"k3slab-{cluster.Name}", "get", "nodes", "-o", "name");
            viaMerged.ExitCode.Should().Be(0, $"kubectl reads the merged file: {viaMerged.Stderr}");
            viaMerged.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(7);
        }
        finally
        {
            exported.Delete(recursive: true);
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
