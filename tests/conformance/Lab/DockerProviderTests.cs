using K3sLab.Lab.Host;
using K3sLab.Lab.Providers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>The Docker provider against the real engine, with node containers from the real node image.</summary>
[Trait("Category", "Conformance")]
public sealed class DockerProviderTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>, IAsyncLifetime
{
    private ScratchCluster _scratch = null!;

    private string Cluster => _scratch.Name;

    private DockerProvider Provider => _scratch.Provider;

    private Docker.DotNet.DockerClient Engine => _scratch.Docker;

    public async ValueTask InitializeAsync() => _scratch = await ScratchCluster.CreateAsync(image.Image, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scratch.DisposeAsync();

    [Fact]
    public async Task Nodes_RoundTripThroughLabelsAndKeepAddressesAcrossRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await Provider.EnsureNetworkAsync(Cluster, ct);
        (await Provider.EnsureNetworkAsync(Cluster, ct)).Should().Be(plan, "a second call reuses the network");

        await Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);
        await Provider.CreateNodeAsync(Spec(plan, NodeRole.Agent, 0), ct);

        var nodes = await Provider.ListNodesAsync(Cluster, ct);
        nodes.Select(n => (n.Name, n.Role, n.Address.ToString(), n.State)).Should().Equal(
            ($"k3slab-{Cluster}-server-0", NodeRole.Server, plan.AddressOf(NodeRole.Server, 0).ToString(), "running"),
            ($"k3slab-{Cluster}-agent-0", NodeRole.Agent, plan.AddressOf(NodeRole.Agent, 0).ToString(), "running"));

        var server = nodes[0];
        await Provider.StopAsync(server, TimeSpan.FromSeconds(1), ct);
        (await Provider.ListNodesAsync(Cluster, ct))[0].State.Should().Be("exited");
        await Provider.StartAsync(server, ct);

        var ip = await Provider.ExecAsync(server, ["sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'"], ct);
        ip.Stdout.Trim().Should().Be($"{plan.AddressOf(NodeRole.Server, 0)}/24", "the address is static across a restart");
        var peer = await Provider.ExecAsync(server, ["getent", "hosts", $"k3slab-{Cluster}-agent-0"], ct);
        peer.Stdout.Should().StartWith(plan.AddressOf(NodeRole.Agent, 0).ToString(), "nodes find each other by name");
    }

    [Fact]
    public async Task KillPauseAndDelete_LeaveNothingBehind()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await Provider.EnsureNetworkAsync(Cluster, ct);
        var node = await Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        await Provider.PauseAsync(node, ct);
        (await Provider.ListNodesAsync(Cluster, ct)).Single().State.Should().Be("paused");
        await Provider.UnpauseAsync(node, ct);
        (await Provider.KillAsync(node, ct)).Should().Be(PowerLoss.ProcessesKilled, "a node without a lossy disk keeps its unsynced writes in the host's page cache");
        (await Provider.ListNodesAsync(Cluster, ct)).Single().State.Should().BeOneOf("exited", "restarting", "running");

        await Provider.DeleteClusterAsync(Cluster, ct);

        (await Provider.ListNodesAsync(Cluster, ct)).Should().BeEmpty();
        (await Engine.Networks.ListNetworksAsync(new Docker.DotNet.Models.NetworksListParameters(), ct)).Should().NotContain(n => n.Name == $"k3slab-{Cluster}");
    }

    [Fact]
    public async Task Kill_LossyDisk_DropsWhatWasNotFsyncedAndKeepsWhatWas()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await Provider.EnsureNetworkAsync(Cluster, ct);
        var node = await Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0) with { LossyDisk = true }, ct);
        (await Provider.SpecOfAsync(node, ct)).LossyDisk.Should().BeTrue("the disk is part of what a node is made from (re-image, join)");

        // Two lines in one file, only the first fsynced; a second file never fsynced. Nothing on the host syncs in
        // between: writeback would take 30 s (dirty_expire), and the kill follows at once.
        var write = await Provider.ExecAsync(node, ["sh", "-c", $"cd {LabNaming.DataDir} && echo durable > log && sync log && echo lost >> log && echo lost > unsynced && cat log unsynced"], ct);
        write.Stdout.Should().Be("durable\nlost\nlost\n", write.Stderr);

        (await Provider.KillAsync(node, ct)).Should().Be(PowerLoss.UnsyncedWritesDropped);
        await Provider.StartAsync(node, ct);

        var read = await Provider.ExecAsync(node, ["sh", "-c", $"cd {LabNaming.DataDir} && cat log && ls"], ct);
        read.Stdout.Should().Be("durable\nlog\nlost+found\n", "the fsynced line survives the power loss; the unsynced line and file do not");

        await Provider.DeleteClusterAsync(Cluster, ct);
        File.Exists(LossyDisk.ImagePath(node.Name)).Should().BeFalse("the disk goes with its node");
        File.ReadAllText("/proc/self/mountinfo").Should().NotContain(LossyDisk.MountPath(node.Name));
    }

    [Fact]
    public async Task CreateNode_NameTaken_FailsAndKeepsTheExistingNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await Provider.EnsureNetworkAsync(Cluster, ct);
        await Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        var again = () => Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        await again.Should().ThrowAsync<Docker.DotNet.DockerApiException>();
        (await Provider.ListNodesAsync(Cluster, ct)).Single().IsRunning.Should().BeTrue();
    }

    private NodeSpec Spec(NetworkPlan plan, NodeRole role, int index) => _scratch.Spec(role, index) with { Address = plan.AddressOf(role, index) };
}
