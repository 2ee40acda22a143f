using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>The Docker provider against the real engine, with node containers from the real node image.</summary>
[Trait("Category", "Conformance")]
public sealed class DockerProviderTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>, IAsyncLifetime
{
    private readonly string _cluster = $"t{Guid.NewGuid():N}"[..12];
    private Docker.DotNet.DockerClient _docker = null!;
    private DockerProvider _provider = null!;

    public ValueTask InitializeAsync()
    {
        _docker = DockerEngine.CreateClient();
        _provider = new DockerProvider(_docker);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DeleteClusterAsync(_cluster, CancellationToken.None);
        _docker.Dispose();
    }

    [Fact]
    public async Task Nodes_RoundTripThroughLabelsAndKeepAddressesAcrossRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await _provider.EnsureNetworkAsync(_cluster, ct);
        (await _provider.EnsureNetworkAsync(_cluster, ct)).Should().Be(plan, "a second call reuses the network");

        await _provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);
        await _provider.CreateNodeAsync(Spec(plan, NodeRole.Agent, 0), ct);

        var nodes = await _provider.ListNodesAsync(_cluster, ct);
        nodes.Select(n => (n.Name, n.Role, n.Address.ToString(), n.State)).Should().Equal(
            ($"k3slab-{_cluster}-server-0", NodeRole.Server, plan.AddressOf(NodeRole.Server, 0).ToString(), "running"),
            ($"k3slab-{_cluster}-agent-0", NodeRole.Agent, plan.AddressOf(NodeRole.Agent, 0).ToString(), "running"));

        var server = nodes[0];
        await _provider.StopAsync(server, TimeSpan.FromSeconds(1), ct);
        (await _provider.ListNodesAsync(_cluster, ct))[0].State.Should().Be("exited");
        await _provider.StartAsync(server, ct);

        var ip = await _provider.ExecAsync(server, ["sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'"], ct);
        ip.Stdout.Trim().Should().Be($"{plan.AddressOf(NodeRole.Server, 0)}/24", "the address is static across a restart");
        var peer = await _provider.ExecAsync(server, ["getent", "hosts", $"k3slab-{_cluster}-agent-0"], ct);
        peer.Stdout.Should().StartWith(plan.AddressOf(NodeRole.Agent, 0).ToString(), "nodes find each other by name");
    }

    [Fact]
    public async Task KillPauseAndDelete_LeaveNothingBehind()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await _provider.EnsureNetworkAsync(_cluster, ct);
        var node = await _provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        await _provider.PauseAsync(node, ct);
        (await _provider.ListNodesAsync(_cluster, ct)).Single().State.Should().Be("paused");
        await _provider.UnpauseAsync(node, ct);
        await _provider.KillAsync(node, ct);
        (await _provider.ListNodesAsync(_cluster, ct)).Single().State.Should().BeOneOf("exited", "restarting", "running");

        await _provider.DeleteClusterAsync(_cluster, ct);

        (await _provider.ListNodesAsync(_cluster, ct)).Should().BeEmpty();
        (await _docker.Networks.ListNetworksAsync(new Docker.DotNet.Models.NetworksListParameters(), ct)).Should().NotContain(n => n.Name == $"k3slab-{_cluster}");
    }

    [Fact]
    public async Task CreateNode_NameTaken_FailsAndKeepsTheExistingNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await _provider.EnsureNetworkAsync(_cluster, ct);
        await _provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        var again = () => _provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0), ct);

        await again.Should().ThrowAsync<Docker.DotNet.DockerApiException>();
        (await _provider.ListNodesAsync(_cluster, ct)).Single().IsRunning.Should().BeTrue();
    }

    private NodeSpec Spec(NetworkPlan plan, NodeRole role, int index) =>
        new(_cluster, role, index, plan.AddressOf(role, index), image.Image, ["sleep", "infinity"]);
}
