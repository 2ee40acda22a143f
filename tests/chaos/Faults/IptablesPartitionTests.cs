using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using K3sLab.Tests.Support;

namespace K3sLab.ChaosTests.Faults;

/// <summary>
/// The fault primitives the scenario engine builds on, checked in real node containers: an iptables DROP rule cuts a
/// node off from a peer and deleting it heals the link; random loss through the statistic match is accepted; a
/// node without NET_ADMIN cannot change its rules. Reachability is told apart by the peer's kernel: a connection to
/// a closed port is refused at once when packets flow, and times out when they are dropped.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class IptablesPartitionTests : IClassFixture<NodeImageFixture>, IAsyncLifetime
{
    private const string Probe = "timeout 3 bash -c 'exec 3<>/dev/tcp/peer/9' 2>/dev/null; echo rc=$?";

    private readonly NodeImageFixture _fixture;
    private INetwork _network = null!;
    private IContainer _node = null!;
    private IContainer _peer = null!;

    public IptablesPartitionTests(NodeImageFixture fixture) => _fixture = fixture;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _network = new NetworkBuilder().WithName($"k3slab-test-{Guid.NewGuid():N}"[..28]).Build();
        await _network.CreateAsync(ct);
        _node = NodeOnNetwork("node", netAdmin: true);
        _peer = NodeOnNetwork("peer", netAdmin: false);
        await Task.WhenAll(_node.StartAsync(ct), _peer.StartAsync(ct));
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        await _peer.DisposeAsync();
        await _network.DisposeAsync();
    }

    [Fact]
    public async Task DropRule_IsolatesPeer_AndDeletingItHeals()
    {
        var ct = TestContext.Current.CancellationToken;
        (await ExecOk(_node, Probe, ct)).Should().Contain("rc=1", "a closed port on a reachable peer refuses at once");

        await ExecOk(_node, "iptables -A OUTPUT -d \"$(getent hosts peer | cut -d' ' -f1)\" -j DROP", ct);
        (await ExecOk(_node, Probe, ct)).Should().Contain("rc=124", "dropped packets get no answer, so the connect times out");

        await ExecOk(_node, "iptables -D OUTPUT -d \"$(getent hosts peer | cut -d' ' -f1)\" -j DROP", ct);
        (await ExecOk(_node, Probe, ct)).Should().Contain("rc=1", "the healed link answers again");
    }

    [Fact]
    public async Task StatisticMatch_RandomLossRule_IsAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await ExecOk(_node, "iptables -A INPUT -m statistic --mode random --probability 0.3 -j DROP", ct);

        var rules = await ExecOk(_node, "iptables -S INPUT", ct);

        // The kernel keeps the probability in 1/2^31 steps, so 0.3 reads back as 0.29999999981.
        rules.Should().MatchRegex(@"-A INPUT -m statistic --mode random --probability 0\.(3|2999999\d*) -j DROP");
    }

    [Fact]
    public async Task NodeWithoutNetAdmin_CannotChangeRules()
    {
        var result = await _peer.ExecAsync(["iptables", "-A", "OUTPUT", "-j", "DROP"], TestContext.Current.CancellationToken);

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("Permission denied");
    }

    private IContainer NodeOnNetwork(string alias, bool netAdmin) =>
        new ContainerBuilder(_fixture.Image)
            .WithCommand("sleep", "infinity")
            .WithLabel("k3slab.role", "test")
            .WithNetwork(_network)
            .WithNetworkAliases(alias)
            .WithCreateParameterModifier(p => p.HostConfig!.CapAdd = netAdmin ? ["NET_ADMIN"] : [])
            .Build();

    private static async Task<string> ExecOk(IContainer container, string script, CancellationToken ct)
    {
        var result = await container.ExecAsync(["/bin/bash", "-c", script], ct);
        result.ExitCode.Should().Be(0, $"'{script}' failed: {result.Stderr}");
        return result.Stdout;
    }
}
