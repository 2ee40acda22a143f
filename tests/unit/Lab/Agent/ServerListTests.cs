using K3sLab.K3s.Agent.LoadBalancer;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>Every transition of the agent load balancer's state machine, driven with explicit times.</summary>
[Trait("Category", "Unit")]
public sealed class ServerListTests
{
    private const string A = "10.0.0.1:6443";
    private const string B = "10.0.0.2:6443";
    private const string Default = "lb.example:6443";
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SetAddresses_NewServersAreUnchecked_AndDefaultStaysStandby()
    {
        var list = new ServerList();
        list.SetDefault(Default, T0);

        list.SetAddresses([A, B], T0);

        list.States.Should().BeEquivalentTo(new Dictionary<string, ServerState> { [A] = ServerState.Unchecked, [B] = ServerState.Unchecked, [Default] = ServerState.Standby });
        list.DialOrder().Should().Equal(A, B, Default);
    }

    [Fact]
    public void UncheckedServer_DialThenHealthCheck_BecomesPreferredThenActive()
    {
        var list = Listed();

        list.DialSucceeded(A, T0).Transitions.Should().ContainSingle().Which.ToString().Should().Be($"Server {A}@UNCHECKED->RECOVERING from successful dial");
        list.HealthChecked(A, healthy: true, T0).Transitions.Single().To.Should().Be(ServerState.Preferred);
        list.DialSucceeded(A, T0).Transitions.Single().ToString().Should().Be($"Server {A}@PREFERRED->ACTIVE from successful dial");
        list.DialOrder()[0].Should().Be(A);
    }

    [Fact]
    public void RecoveringWithConnections_HealthCheck_GoesStraightToActive()
    {
        var list = Listed();
        list.DialSucceeded(A, T0);
        list.ConnectionsChanged(A, +1);

        var decision = list.HealthChecked(A, healthy: true, T0);

        decision.Transitions.Single().To.Should().Be(ServerState.Active);
    }

    [Fact]
    public void ActiveServer_FailedHealthCheck_FailsAndClosesItsConnections()
    {
        var list = WithActive(A);

        var decision = list.HealthChecked(A, healthy: false, T0);

        decision.CloseConnectionsTo.Should().Equal(A);
        list.States[A].Should().Be(ServerState.Failed);
        list.DialOrder().Should().Equal([B, Default, A], "a failed server is tried last, after the default");
    }

    [Fact]
    public void RecoveredServer_TakesConnectionsBackFromTheDefault()
    {
        // A dies, B is gone too: the agent falls back to the default server, its last resort.
        var list = WithActive(A);
        list.SetAddresses([A], T0);
        list.DialFailed(A, T0);
        list.ConnectionsChanged(A, -1);
        list.DialOrder()[0].Should().Be(Default);
        list.DialSucceeded(Default, T0);
        list.ConnectionsChanged(Default, +3);
        list.States[Default].Should().Be(ServerState.Standby, "the default is used, never promoted");

        // A comes back: health checks move it through RECOVERING to PREFERRED, ahead of the default.
        list.HealthChecked(A, true, T0.AddSeconds(5)).Transitions.Single().To.Should().Be(ServerState.Recovering);
        list.HealthChecked(A, true, T0.AddSeconds(6)).Transitions.Single().To.Should().Be(ServerState.Preferred);
        list.DialOrder()[0].Should().Be(A);
        var decision = list.DialSucceeded(A, T0.AddSeconds(7));

        list.States[A].Should().Be(ServerState.Active);
        decision.CloseConnectionsTo.Should().Equal([Default], "closing them makes clients reconnect to the active server: the fail-back");
    }

    [Fact]
    public void PreferredServer_NotDialedForAMinute_SettlesToHealthy()
    {
        var list = Listed();
        list.DialSucceeded(A, T0);
        list.HealthChecked(A, true, T0);

        list.HealthChecked(A, true, T0.AddSeconds(59)).Transitions.Should().BeEmpty();
        list.HealthChecked(A, true, T0.Add(ServerList.PreferredFor).AddSeconds(1)).Transitions.Single().To.Should().Be(ServerState.Healthy);
    }

    [Fact]
    public void UncheckedOrRecovering_FailOnlyOnDial_NotOnHealthCheck()
    {
        var list = Listed();

        list.HealthChecked(A, healthy: false, T0).Should().Be(LoadBalancerDecision.None);
        list.States[A].Should().Be(ServerState.Unchecked);
        list.DialFailed(A, T0).Transitions.Single().To.Should().Be(ServerState.Failed);
    }

    [Fact]
    public void DefaultServer_IsLastResortBeforeFailedServers()
    {
        var list = WithActive(A);
        list.DialFailed(A, T0);
        list.ConnectionsChanged(A, -1);
        list.DialFailed(B, T0);

        list.DialOrder().Should().Equal(Default, A, B);
    }

    [Fact]
    public void SetAddresses_RemovedServer_IsDroppedAndItsConnectionsClosed()
    {
        var list = WithActive(A);

        var decision = list.SetAddresses([B], T0);

        decision.CloseConnectionsTo.Should().Equal(A);
        list.States.Keys.Should().BeEquivalentTo(B, Default);
    }

    [Fact]
    public void DefaultInServerList_IsANormalServer_AndReturnsToStandbyWhenRemoved()
    {
        var list = new ServerList();
        list.SetDefault(Default, T0);
        list.SetAddresses([Default, A], T0);
        list.States[Default].Should().Be(ServerState.Unchecked);

        list.SetAddresses([A], T0);

        list.States[Default].Should().Be(ServerState.Standby);
    }

    private static ServerList Listed()
    {
        var list = new ServerList();
        list.SetDefault(Default, T0);
        list.SetAddresses([A, B], T0);
        return list;
    }

    private static ServerList WithActive(string address)
    {
        var list = Listed();
        list.DialSucceeded(address, T0);
        list.HealthChecked(address, true, T0);
        list.DialSucceeded(address, T0);
        list.ConnectionsChanged(address, +1);
        list.States[address].Should().Be(ServerState.Active);
        return list;
    }
}
