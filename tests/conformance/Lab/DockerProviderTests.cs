using System.Globalization;
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

    /// <summary>
    /// A writer fsyncs numbered records to the lossy disk as fast as it can and notes each fsync that returned in a
    /// file of the container's own storage (which a kill does not touch); the power is cut at a random moment. Every
    /// record the writer saw fsynced must be on the disk afterwards. Cutting a file system under a running process
    /// breaks this: an fsync racing the shutdown could return success for a commit the shutdown dropped (in about
    /// 1 of 20 cuts on this kernel), so the kill freezes the node before it cuts the disk.
    /// </summary>
    [Fact]
    public async Task Kill_LossyDisk_KeepsEveryRecordAFsyncAcknowledged()
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = await Provider.EnsureNetworkAsync(Cluster, ct);
        var node = await Provider.CreateNodeAsync(Spec(plan, NodeRole.Server, 0) with { LossyDisk = true }, ct);
        var random = new Random(20261207);
        const string writer = """
            use IO::Handle;
            open(my $d, '>>', 'records') or die; open(my $a, '>>', '/tmp/acks') or die; $a->autoflush(1);
            for (my $i = 1; ; $i++) { printf $d "%015d\n", $i; $d->flush or exit 1; $d->sync or exit 1; print $a "$i\n"; }
            """;
        const string count = "awk '{ if (length($0) == 15 && $0 + 0 == n + 1) n++; else exit } END { print n + 0 }' records; tail -n 1 /tmp/acks";
        for (var trial = 0; trial < 12; trial++)
        {
            var start = await Provider.ExecAsync(node, ["sh", "-c", $"cd {LabNaming.DataDir} && rm -f records /tmp/acks && (perl -e \"$0\" >/dev/null 2>&1 &)", writer], ct);
            start.ExitCode.Should().Be(0, start.Stderr);
            var running = await Eventually.UntilAsync(() => Provider.ExecAsync(node, ["sh", "-c", "test -s /tmp/acks"], ct), r => r.ExitCode == 0, TimeSpan.FromSeconds(10), ct);
            running.ExitCode.Should().Be(0, $"trial {trial}: the writer acknowledges its first record ({running.Stderr})");

            // The moment of the cut is what the trials vary: somewhere in the writer's stream of fsyncs.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(50, 400)), ct);

            (await Provider.KillAsync(node, ct)).Should().Be(PowerLoss.UnsyncedWritesDropped);
            await Provider.StartAsync(node, ct);

            var read = await Provider.ExecAsync(node, ["sh", "-c", $"cd {LabNaming.DataDir} && {count}"], ct);
            var lines = read.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Should().HaveCount(2, $"trial {trial}: the disk's record count and the last acknowledgement ({read.Stdout}{read.Stderr})");
            var (onDisk, acknowledged) = (long.Parse(lines[0], CultureInfo.InvariantCulture), long.Parse(lines[1], CultureInfo.InvariantCulture));
            onDisk.Should().BeGreaterThanOrEqualTo(acknowledged, $"trial {trial}: every record whose fsync returned before the power cut is durable");
        }
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
