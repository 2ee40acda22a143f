using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using K3sLab.K3s.Agent.LoadBalancer;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>
/// The agent load balancer over real loopback sockets: three named servers, the balancer in front, clients reading
/// which server answered. Health checks report whether a server is listening; the clock is manual, so the periodic
/// loop runs only when a test advances it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LoadBalancerHostTests : IAsyncDisposable
{
    private const string Url = "https://k3slab-dev-lb:6443";
    private static readonly IPEndPoint Listen = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(3);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-agentlb-");
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturingLogger _log = new();
    private readonly List<LoadBalancerHost> _hosts = [];
    private readonly List<TestClient> _clients = [];
    private readonly NamedServer _a = NamedServer.Start("a");
    private readonly NamedServer _b = NamedServer.Start("b");
    private readonly NamedServer _d = NamedServer.Start("default");

    private string StatePath => Path.Combine(_dir.FullName, "agent", "etc", "k3s-agent-load-balancer.json");

    private IEnumerable<NamedServer> Servers => [_a, _b, _d];

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }

        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Connect_SeveralClients_AllLandOnOneServer()
    {
        var lb = StartBalancer(_d.Address);
        lb.SetServers([_a.Address, _b.Address]);

        var names = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            names.Add(await GreetAsync(lb));
        }

        names.Distinct().Should().ContainSingle("all connections go to one server").Which.Should().NotBe("default");
        var chosen = ServerNamed(names[0]);
        lb.ConnectionsTo(chosen.Address).Should().Be(4);
        lb.States[chosen.Address].Should().Be(ServerState.Recovering, "a first dial only starts the recovery");

        await lb.CheckHealthAsync(CancellationToken.None);

        lb.States[chosen.Address].Should().Be(ServerState.Active, "a recovering server with connections becomes active on a passed check");
    }

    [Fact]
    public async Task ActiveServerHangs_NextDialFailsOver_AndItsOpenConnectionIsClosed()
    {
        var (lb, active, old) = await WithActiveServerAsync();
        var other = active == _a ? _b : _a;
        var clock = Stopwatch.StartNew();

        active.Stop(resetConnections: false);
        var (_, server) = await ConnectAsync(lb);
        var failedOver = clock.Elapsed;
        await old.ReadToCloseAsync();
        var closed = clock.Elapsed;

        server.Should().Be(other.Name);
        lb.States[active.Address].Should().Be(ServerState.Failed);
        await Eventually.TrueAsync(() => lb.ConnectionsTo(active.Address) == 0, "the closed connection leaving the books");
        _log.Lines.Select(l => l.Message).Should().Contain($"Server {active.Address}@ACTIVE->FAILED from failed dial");
        TestContext.Current.SendDiagnosticMessage($"dial-path failover: new connection answered after {failedOver.TotalMilliseconds:0.0} ms, old one closed after {closed.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task ActiveServerHangs_FailedHealthCheck_ClosesItsConnections_WithoutAnyNewDial()
    {
        var (lb, active, old) = await WithActiveServerAsync();
        var clock = Stopwatch.StartNew();

        active.Stop(resetConnections: false);
        await lb.CheckHealthAsync(CancellationToken.None);
        await old.ReadToCloseAsync();
        var closed = clock.Elapsed;

        lb.States[active.Address].Should().Be(ServerState.Failed);
        _log.Lines.Select(l => l.Message).Should().Contain($"Server {active.Address}@ACTIVE->FAILED from failed health check");
        (await GreetAsync(lb)).Should().Be((active == _a ? _b : _a).Name);
        TestContext.Current.SendDiagnosticMessage($"health-check failover: old connection closed {closed.TotalMilliseconds:0.0} ms after the server stopped");
    }

    [Fact]
    public async Task ActiveServerHangs_ItsTunnelClosed_FailsOverAtOnce_WithoutWaitingForACheckOrADial()
    {
        var (lb, active, old) = await WithActiveServerAsync();
        var other = active == _a ? _b : _a;

        // A container taken down with its network: the tunnel's close arrives, but the address answers nothing.
        active.Stop(resetConnections: false);
        lb.ReportTunnelClosed(active.Address);
        await old.ReadToCloseAsync();

        lb.States[active.Address].Should().Be(ServerState.Failed);
        _log.Lines.Select(l => l.Message).Should().Contain($"Server {active.Address}@ACTIVE->FAILED from closed tunnel");
        (await GreetAsync(lb)).Should().Be(other.Name, "the next client goes to the other server, not into the dead one's dial timeout");
        _log.Lines.Select(l => l.Message).Should().NotContain(m => m.Contains("failed dial", StringComparison.Ordinal), "no dial went to the dead server");
    }

    [Fact]
    public async Task HealthLoop_RunsOnTheInjectedClock_AndFailsTheActiveServer()
    {
        var interval = TimeSpan.FromSeconds(2);
        var (lb, active, old) = await WithActiveServerAsync(interval);

        active.Stop(resetConnections: false);
        _time.Advance(interval);

        await old.ReadToCloseAsync();
        lb.States[active.Address].Should().Be(ServerState.Failed);
    }

    [Fact]
    public async Task UnansweredDial_GivesUpAtTheDialTimeout_OnTheInjectedClock()
    {
        // A server whose accept queue is full drops SYNs, like an unreachable host: the dial neither succeeds nor fails.
        using var hung = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        hung.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        hung.Listen(0);
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(hung.LocalEndPoint!, TestContext.Current.CancellationToken);
        var hungAddress = $"127.0.0.1:{((IPEndPoint)hung.LocalEndPoint!).Port}";
        var lb = StartBalancer(_d.Address);
        lb.SetServers([hungAddress]);

        var greeting = GreetAsync(lb);
        var advanced = TimeSpan.Zero;
        var deadline = DateTime.UtcNow + TestClient.Patience;
        while (!greeting.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(TimeSpan.FromMilliseconds(250));
            advanced += TimeSpan.FromMilliseconds(250);
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        (await greeting).Should().Be("default");
        advanced.Should().BeGreaterThanOrEqualTo(DialTimeout, "the dial is abandoned only at the timeout, on the balancer's clock");
        lb.States[hungAddress].Should().Be(ServerState.Failed);
        (await GreetAsync(lb)).Should().Be("default", "a failed server is tried after the default, so the next client does not wait");
    }

    [Fact]
    public async Task AllListedServersDown_DefaultCarries_ThenARecoveredServerTakesItBack()
    {
        var lb = StartBalancer(_d.Address);
        lb.SetServers([_a.Address, _b.Address]);
        var (first, firstServer) = await ConnectAsync(lb);
        firstServer.Should().NotBe("default");

        // Both listed servers crash: the connection through them breaks and the default, the last resort, carries.
        _a.Stop(resetConnections: true);
        _b.Stop(resetConnections: true);
        await first.ReadToCloseAsync();
        await Eventually.TrueAsync(() => lb.ConnectionsTo(ServerNamed(firstServer).Address) == 0, "the broken connection leaving the books");
        var (onDefault, defaultServer) = await ConnectAsync(lb);
        defaultServer.Should().Be("default");
        lb.States[_d.Address].Should().Be(ServerState.Standby, "the default is used, never promoted");
        lb.States[_a.Address].Should().Be(ServerState.Failed);

        // a comes back: two passed checks make it RECOVERING then PREFERRED, ahead of the default.
        _a.Restart();
        await lb.CheckHealthAsync(CancellationToken.None);
        lb.States[_a.Address].Should().Be(ServerState.Recovering);
        await lb.CheckHealthAsync(CancellationToken.None);
        lb.States[_a.Address].Should().Be(ServerState.Preferred);

        // The next connection goes to a, which becomes ACTIVE and closes the default's connections: the fail-back.
        (await GreetAsync(lb)).Should().Be("a");
        lb.States[_a.Address].Should().Be(ServerState.Active);
        await onDefault.ReadToCloseAsync();
        (await GreetAsync(lb)).Should().Be("a", "the client that was on the default reconnects to the active server");
    }

    [Theory]
    [InlineData("{garbage", "is not a valid load balancer state file")]
    [InlineData("null", "has no server list")]
    [InlineData("""{"ServerURL":"https://k3slab-dev-lb:6443","ServerAddresses":[null, ""]}""", "lists no usable addresses")]
    [InlineData("""{"ServerURL":"https://old-lb:6443","ServerAddresses":["10.0.0.1:6443"]}""", "was written for https://old-lb:6443")]
    public async Task BadStateFile_LogsOneLine_AndTheBalancerServesFromTheDefault(string content, string reason)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        await File.WriteAllTextAsync(StatePath, content, TestContext.Current.CancellationToken);

        var lb = StartBalancer(_d.Address);

        _log.Lines.Where(l => l.Level >= LogLevel.Warning).Should().ContainSingle()
            .Which.Message.Should().Contain(reason).And.EndWith("starting from the default server");
        lb.States.Keys.Should().Equal(_d.Address);
        (await GreetAsync(lb)).Should().Be("default");
    }

    [Fact]
    public async Task StaleStateFile_ListingDeadServers_StillReachesTheDefault()
    {
        // k3s#11349: a saved list of servers that are all gone must not wedge the agent.
        LoadBalancerStateFile.Save(StatePath, Url, [_a.Address, _b.Address]);
        _a.Stop(resetConnections: true);
        _b.Stop(resetConnections: true);

        var lb = StartBalancer(_d.Address);

        (await GreetAsync(lb)).Should().Be("default");
        lb.States[_a.Address].Should().Be(ServerState.Failed);
        lb.States[_b.Address].Should().Be(ServerState.Failed);
        lb.DialOrder().Should().Equal([_d.Address, .. new[] { _a.Address, _b.Address }.Order(StringComparer.Ordinal)], "the default is tried before failed servers");
    }

    [Fact]
    public async Task SetServers_SavesTheList_AndARestartedBalancerReloadsIt()
    {
        var first = StartBalancer(_d.Address);
        first.SetServers([_b.Address, _a.Address]);
        var sorted = new[] { _a.Address, _b.Address }.Order(StringComparer.Ordinal).ToArray();
        File.ReadAllText(StatePath).Should().Be($$"""{"ServerURL":"{{Url}}","ServerAddresses":["{{sorted[0]}}","{{sorted[1]}}"]}""");
        await first.DisposeAsync();
        _hosts.Remove(first);

        var second = StartBalancer(_d.Address);

        second.States.Should().BeEquivalentTo(new Dictionary<string, ServerState>
        {
            [_a.Address] = ServerState.Unchecked,
            [_b.Address] = ServerState.Unchecked,
            [_d.Address] = ServerState.Standby,
        });
        (await GreetAsync(second)).Should().NotBe("default");
        _log.Lines.Should().NotContain(l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task SetServers_RemovedServer_ItsConnectionsAreClosed()
    {
        var lb = StartBalancer(_d.Address);
        lb.SetServers([_a.Address]);
        var (client, server) = await ConnectAsync(lb);
        server.Should().Be("a");

        lb.SetServers([_b.Address]);

        await client.ReadToCloseAsync();
        (await GreetAsync(lb)).Should().Be("b");
        LoadBalancerStateFile.Load(StatePath, Url).Addresses.Should().Equal(_b.Address);
    }

    [Fact]
    public void SetServers_EmptyList_IsIgnored()
    {
        var lb = StartBalancer(_d.Address);
        lb.SetServers([_a.Address]);

        lb.SetServers([]);

        lb.States.Keys.Should().BeEquivalentTo(_a.Address, _d.Address);
        LoadBalancerStateFile.Load(StatePath, Url).Addresses.Should().Equal(_a.Address);
    }

    [Fact]
    public async Task SetDefault_Replaced_ClosesConnectionsToTheOldDefault_AndUsesTheNewOne()
    {
        var lb = StartBalancer(_d.Address);
        var (client, server) = await ConnectAsync(lb);
        server.Should().Be("default");

        lb.SetDefault(_b.Address);

        await client.ReadToCloseAsync();
        (await GreetAsync(lb)).Should().Be("b");
        lb.States.Should().BeEquivalentTo(new Dictionary<string, ServerState> { [_b.Address] = ServerState.Standby });
    }

    [Fact]
    public async Task DefaultGivenByName_IsResolvedAtDialTime()
    {
        var lb = StartBalancer($"localhost:{_d.Port}");

        (await GreetAsync(lb)).Should().Be("default");
    }

    [Fact]
    public void Start_NonPositiveTimeout_IsRefusedBeforeListening()
    {
        var options = new LoadBalancerOptions { ServiceName = "k3s-agent-load-balancer", Listen = Listen, ServerUrl = Url, StateFile = StatePath, DialTimeout = TimeSpan.Zero };

        var start = () => LoadBalancerHost.Start(options, IsListening, _log, _time);

        start.Should().Throw<ArgumentException>().WithMessage("*must be positive*");
    }

    [Fact]
    public async Task NoServerAnswers_ClientIsClosedAtOnce()
    {
        _d.Stop(resetConnections: true);
        var lb = StartBalancer(_d.Address);

        using var client = await TestClient.ConnectAsync(lb.LocalEndPoint);

        (await client.ReadToCloseAsync()).Should().BeEmpty();
        _log.Lines.Should().Contain(l => l.Message.Contains("all servers failed"));
    }

    [Fact]
    public async Task HalfClose_ClientEndsItsSide_StillReceivesTheWholeReply()
    {
        var lb = StartBalancer(_d.Address);
        var (client, _) = await ConnectAsync(lb);

        await client.SendAsync("request");
        client.EndSending();

        (await client.ReadToCloseAsync()).Should().Be("request", "the server saw the end of the request, answered, then closed");
    }

    [Fact]
    public async Task InitialServers_AreKnownBeforeTheFirstConnection_WithoutADefault()
    {
        // The lab's balancer is recreated when a server moves; it used to listen first and close the connections that
        // came before its list was set ("all servers failed (tried )").
        var lb = LoadBalancerHost.Start(
            new LoadBalancerOptions { ServiceName = "k3slab-server-load-balancer", Listen = Listen, DialTimeout = DialTimeout, ServerUrl = "lab", StateFile = StatePath, HealthCheckInterval = Timeout.InfiniteTimeSpan, InitialServers = [_a.Address, _b.Address] },
            IsListening,
            _log,
            _time);
        _hosts.Add(lb);

        (await GreetAsync(lb)).Should().BeOneOf("a", "b");
    }

    [Fact]
    public async Task Dispose_ClosesEveryProxiedConnection()
    {
        var lb = StartBalancer(_d.Address);
        var (client, _) = await ConnectAsync(lb);

        await lb.DisposeAsync();
        _hosts.Remove(lb);

        await client.ReadToCloseAsync();
    }

    private LoadBalancerHost StartBalancer(string? defaultServer, TimeSpan? healthInterval = null)
    {
        var host = LoadBalancerHost.Start(
            new LoadBalancerOptions
            {
                ServiceName = "k3s-agent-load-balancer",
                Listen = Listen,
                DialTimeout = DialTimeout,
                ServerUrl = Url,
                StateFile = StatePath,
                DefaultServer = defaultServer,
                HealthCheckInterval = healthInterval ?? Timeout.InfiniteTimeSpan,
            },
            IsListening,
            _log,
            _time);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A balancer over a and b whose active server carries one open connection.</summary>
    private async Task<(LoadBalancerHost Balancer, NamedServer Active, TestClient Open)> WithActiveServerAsync(TimeSpan? healthInterval = null)
    {
        var lb = StartBalancer(_d.Address, healthInterval);
        lb.SetServers([_a.Address, _b.Address]);
        var (client, name) = await ConnectAsync(lb);
        var active = ServerNamed(name);
        await lb.CheckHealthAsync(CancellationToken.None);
        lb.States[active.Address].Should().Be(ServerState.Active);
        return (lb, active, client);
    }

    private Task<bool> IsListening(string address, CancellationToken cancellationToken) =>
        Task.FromResult(Servers.Single(s => s.Address == address).Listening);

    private NamedServer ServerNamed(string name) => Servers.Single(s => s.Name == name);

    private async Task<(TestClient Client, string Server)> ConnectAsync(LoadBalancerHost lb)
    {
        var (client, server) = await TestClient.ConnectAndGreetAsync(lb.LocalEndPoint);
        _clients.Add(client);
        return (client, server);
    }

    private async Task<string> GreetAsync(LoadBalancerHost lb) => (await ConnectAsync(lb)).Server;
}
