using System.Net;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Faults;
using K3sLab.Tests.Support;

namespace K3sLab.ChaosTests.Faults;

/// <summary>
/// The scenario engine's network faults on real lab nodes (Docker provider, node image). Reachability is told apart
/// by the peer's kernel, with no listener needed: a connection to a closed port is refused at once when packets
/// flow, and times out when they are dropped.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class NetworkFaultTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>, IAsyncLifetime
{
    private ScratchCluster _cluster = null!;
    private LabNode _server = null!;
    private LabNode _agent = null!;

    private DockerProvider Provider => _cluster.Provider;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _cluster = await ScratchCluster.CreateAsync(image.Image, ct);
        _server = await _cluster.AddNodeAsync(NodeRole.Server, 0, ct);
        _agent = await _cluster.AddNodeAsync(NodeRole.Agent, 0, ct);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Isolate_CutsBothDirections_AndHealRestores()
    {
        var ct = TestContext.Current.CancellationToken;
        var injector = new FaultInjector(Provider);
        (await ProbeAsync(_server, _agent.Address, ct)).Should().Be("refused");

        await injector.ApplyAsync(_server, new Isolate([_agent.Address]), ct);
        (await ProbeAsync(_server, _agent.Address, ct)).Should().Be("dropped");
        (await ProbeAsync(_agent, _server.Address, ct)).Should().Be("dropped", "the peer's packets are dropped on arrival too");

        await injector.HealAsync(_server, ct);
        (await ProbeAsync(_server, _agent.Address, ct)).Should().Be("refused");
        injector.History.Select(h => (h.Node, h.Healed)).Should().Equal((_server.Name, false), (_server.Name, true));
    }

    [Fact]
    public async Task Apply_Twice_AddsRulesOnceHookedAndHealLeavesOtherRulesAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var injector = new FaultInjector(Provider);
        await Provider.ExecAsync(_server, ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "7", "-j", "ACCEPT"], ct);

        await injector.ApplyAsync(_server, new RandomLoss(0.3), ct);
        await injector.ApplyAsync(_server, new DropOutgoing([_agent.Address]), ct);
        var rules = (await Provider.ExecAsync(_server, ["iptables", "-S"], ct)).Stdout;

        rules.Split('\n').Count(l => l == $"-A INPUT -j {NetworkFault.Chain}").Should().Be(1);
        rules.Should().MatchRegex($@"-A {NetworkFault.Chain} -m statistic --mode random --probability 0\.(3|2999999\d*) -j DROP");
        rules.Should().Contain($"-A {NetworkFault.Chain} -d {_agent.Address}/32 -j DROP");

        await injector.HealAsync(_server, ct);
        var healed = (await Provider.ExecAsync(_server, ["iptables", "-S"], ct)).Stdout;
        healed.Should().NotContain(NetworkFault.Chain).And.Contain("--dport 7 -j ACCEPT", "healing removes only the lab's own rules");
    }

    private async Task<string> ProbeAsync(LabNode from, IPAddress to, CancellationToken ct)
    {
        var result = await Provider.ExecAsync(from, ["bash", "-c", $"timeout 3 bash -c 'exec 3<>/dev/tcp/{to}/9' 2>/dev/null; echo $?"], ct);
        return result.Stdout.Trim() switch
        {
            "1" => "refused",
            "124" => "dropped",
            var other => $"unexpected exit {other}",
        };
    }
}
