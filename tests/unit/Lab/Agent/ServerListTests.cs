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
    public void ActiveServer_TunnelClosed_FailsAtOnce_AndClosesItsConnections()
    {
        var list = WithActive(A);

        var decision = list.TunnelClosed(A, T0);

        decision.CloseConnectionsTo.Should().Equal(A);
        decision.Transitions.Single().ToString().Should().Be($"Server {A}@ACTIVE->FAILED from closed tunnel");
        list.DialOrder().Should().Equal([B, Default, A], "the next dial goes to the other server, not the one whose tunnel closed");
    }

    [Fact]
    public void TunnelClosed_FailedOrUnknownServer_ChangesNothing()
    {
        var list = WithActive(A);
        list.HealthChecked(B, healthy: false, T0);
        list.DialFailed(B, T0);

        list.TunnelClosed(B, T0).Should().Be(LoadBalancerDecision.None, "B has failed already");
        list.TunnelClosed("10.0.0.9:6443", T0).Should().Be(LoadBalancerDecision.None, "a server off the list has no state to change");
        list.TunnelClosed(Default, T0).Should().Be(LoadBalancerDecision.None, "the standby default has no tunnel state that counts");
        list.States[A].Should().Be(ServerState.Active);
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

        // A comes back: health checks move it through RECOVERING to PREFERRED, ahead of the default. The first success
        // is not yet trusted; the second, which makes A PREFERRED, closes the default's connections: the fail-back.
        var recovering = list.HealthChecked(A, true, T0.AddSeconds(5));
        recovering.Transitions.Single().To.Should().Be(ServerState.Recovering);
        recovering.CloseConnectionsTo.Should().BeEmpty();
        var preferred = list.HealthChecked(A, true, T0.AddSeconds(6));
        preferred.Transitions.Single().To.Should().Be(ServerState.Preferred);
        preferred.CloseConnectionsTo.Should().Equal([Default], "their clients dial again and land on A, without waiting for a new client");
        list.ConnectionsChanged(Default, -3);

        list.DialOrder()[0].Should().Be(A);
        var decision = list.DialSucceeded(A, T0.AddSeconds(7));
        list.States[A].Should().Be(ServerState.Active);
        decision.CloseConnectionsTo.Should().BeEmpty();
    }

    [Fact]
    public void ClientStillOnTheDefault_NextPassingHealthCheck_ClosesItAgain()
    {
        var list = WithActive(A);
        list.SetAddresses([A], T0);
        list.DialFailed(A, T0);
        list.ConnectionsChanged(A, -1);
        list.HealthChecked(A, true, T0.AddSeconds(1));
        list.HealthChecked(A, true, T0.AddSeconds(2));

        // A client reached the default after the fail-back (a dial that raced it): the next passing check of A, with
        // no transition, still sends it back.
        list.DialSucceeded(Default, T0.AddSeconds(2));
        list.ConnectionsChanged(Default, +1);
        var decision = list.HealthChecked(A, true, T0.AddSeconds(3));

        decision.Transitions.Should().BeEmpty();
        decision.CloseConnectionsTo.Should().Equal([Default]);
    }

    [Fact]
    public void DefaultInTheServerList_IsNotClosedByAnotherServersHealthCheck()
    {
        var list = new ServerList();
        list.SetDefault(Default, T0);
        list.SetAddresses([Default, A], T0);
        list.DialSucceeded(Default, T0);
        list.ConnectionsChanged(Default, +1);

        list.HealthChecked(A, true, T0).CloseConnectionsTo.Should().BeEmpty();
        list.HealthChecked(A, true, T0).CloseConnectionsTo.Should().BeEmpty("a listed default is a server like the others, not a last resort");
        list.States[A].Should().Be(ServerState.Preferred);
    }

    [Fact]
    public void PlantedNeverFailBack_FailedServerNeverReturns_WhileTheRealOneDoes()
    {
        // The same history on the real balancer and on the planted bug "never-fail-back" (a chaos-suite test double):
        // A and B each fail once and come back; only the real one uses them again.
        foreach (var planted in new[] { false, true })
        {
            var list = new ServerList(neverFailBack: planted);
            list.SetDefault(Default, T0);
            list.SetAddresses([A, B], T0);
            foreach (var server in new[] { A, B })
            {
                list.DialSucceeded(server, T0);
                list.HealthChecked(server, true, T0);
                list.HealthChecked(server, false, T0.AddSeconds(1));
                list.HealthChecked(server, true, T0.AddSeconds(30));
                list.HealthChecked(server, true, T0.AddSeconds(31));
                list.DialSucceeded(server, T0.AddSeconds(32));
            }

            // Both servers leave the server list (their endpoints expired) and come back.
            list.SetAddresses([], T0.AddSeconds(40));
            list.SetAddresses([A, B], T0.AddSeconds(50));
            list.HealthChecked(A, true, T0.AddSeconds(51));
            list.HealthChecked(B, true, T0.AddSeconds(51));
            if (planted)
            {
                list.States.Values.Count(s => s == ServerState.Failed).Should().Be(2);
                list.DialOrder().Should().Equal([Default], "the planted bug leaves only the default, the last resort");
            }
            else
            {
                list.States[A].Should().Be(ServerState.Recovering, "back in the list, it is checked again");
                list.States[B].Should().Be(ServerState.Recovering);
                list.DialOrder().Should().Equal(A, B, Default);
            }
        }
    }

    [Fact]
    public void PlantedNeverFailBack_ServerThatLeftTheListCleanly_NeverReturns_WhileTheRealOneDoes()
    {
        // A server stopped cleanly removes its own endpoint, so the agent sees it leave the list before any health
        // check fails it. The planted bug treats that as losing it for good too; the real balancer takes it back.
        foreach (var planted in new[] { false, true })
        {
            var list = new ServerList(neverFailBack: planted);
            list.SetDefault(Default, T0);
            list.SetAddresses([A, B], T0);
            list.HealthChecked(A, true, T0);
            list.HealthChecked(B, true, T0);
            list.HealthChecked(B, true, T0.AddSeconds(2));

            list.SetAddresses([A], T0.AddSeconds(10));
            list.SetAddresses([A, B], T0.AddSeconds(30));
            list.HealthChecked(B, true, T0.AddSeconds(32));

            if (planted)
            {
                list.States[B].Should().Be(ServerState.Failed);
                list.DialOrder().Should().NotContain(B, "the planted balancer never goes back to a server it lost");
            }
            else
            {
                list.States[B].Should().Be(ServerState.Recovering, "back in the list, it is checked again");
                list.DialOrder().Should().Contain(B);
            }
        }
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

    [Fact]
    public void FailedServer_DialSucceeds_Recovers()
    {
        var list = Listed();
        list.DialFailed(A, T0);

        list.DialSucceeded(A, T0).Transitions.Single().ToString().Should().Be($"Server {A}@FAILED->RECOVERING from successful dial");
    }

    [Fact]
    public void UncheckedServer_HealthCheckPasses_Recovers()
    {
        var list = Listed();

        list.HealthChecked(A, healthy: true, T0).Transitions.Single().ToString().Should().Be($"Server {A}@UNCHECKED->RECOVERING from successful health check");
    }

    [Fact]
    public void HealthyServer_Dialed_BecomesActive()
    {
        var list = Listed();
        Drive(list, A, ServerState.Healthy);

        list.DialSucceeded(A, T0.AddMinutes(2)).Transitions.Single().ToString().Should().Be($"Server {A}@HEALTHY->ACTIVE from successful dial");
    }

    [Theory]
    [InlineData(nameof(ServerState.Healthy), true)]
    [InlineData(nameof(ServerState.Healthy), false)]
    [InlineData(nameof(ServerState.Preferred), true)]
    [InlineData(nameof(ServerState.Preferred), false)]
    [InlineData(nameof(ServerState.Active), true)]
    [InlineData(nameof(ServerState.Active), false)]
    public void UsableServer_AnyFailure_FailsAndClosesItsConnections(string state, bool fromDial)
    {
        var list = Listed();
        Drive(list, A, Enum.Parse<ServerState>(state));

        var decision = fromDial ? list.DialFailed(A, T0.AddMinutes(2)) : list.HealthChecked(A, healthy: false, T0.AddMinutes(2));

        decision.CloseConnectionsTo.Should().Equal(A);
        decision.Transitions.Single().ToString().Should().Be($"Server {A}@{state.ToUpperInvariant()}->FAILED from {(fromDial ? "failed dial" : "failed health check")}");
    }

    [Fact]
    public void RecoveringServer_FailsOnlyOnADial()
    {
        var list = Listed();
        list.DialSucceeded(A, T0);

        list.HealthChecked(A, healthy: false, T0).Should().Be(LoadBalancerDecision.None);
        list.States[A].Should().Be(ServerState.Recovering);
        list.DialFailed(A, T0).Transitions.Single().ToString().Should().Be($"Server {A}@RECOVERING->FAILED from failed dial");
    }

    [Fact]
    public void FailedOrStandbyServer_FailingAgain_ChangesNothing()
    {
        var list = Listed();
        list.DialFailed(A, T0);

        list.DialFailed(A, T0).Should().Be(LoadBalancerDecision.None);
        list.HealthChecked(A, healthy: false, T0).Should().Be(LoadBalancerDecision.None);
        list.DialFailed(Default, T0).Should().Be(LoadBalancerDecision.None);
        list.HealthChecked(Default, healthy: true, T0).Should().Be(LoadBalancerDecision.None, "the default stays STANDBY whatever its checks say");
        list.States[Default].Should().Be(ServerState.Standby);
    }

    [Fact]
    public void ActiveOrHealthyServer_PassingChecks_StaysPut()
    {
        var list = Listed();
        Drive(list, A, ServerState.Active);
        Drive(list, B, ServerState.Healthy);

        list.HealthChecked(A, healthy: true, T0.AddMinutes(5)).Should().Be(LoadBalancerDecision.None);
        list.HealthChecked(B, healthy: true, T0.AddMinutes(5)).Should().Be(LoadBalancerDecision.None);
    }

    [Fact]
    public void BecomingActive_ClosesConnectionsToFailedRecoveringHealthyAndStandby_ButNotToPreferredOrUnchecked()
    {
        const string C = "10.0.0.3:6443", D = "10.0.0.4:6443", E = "10.0.0.5:6443", F = "10.0.0.6:6443", G = "10.0.0.7:6443";
        var list = new ServerList();
        list.SetDefault(Default, T0);
        list.SetAddresses([A, B, C, D, E, F, G], T0);
        Drive(list, A, ServerState.Preferred);
        Drive(list, B, ServerState.Failed);
        Drive(list, C, ServerState.Recovering);
        Drive(list, D, ServerState.Healthy);
        Drive(list, E, ServerState.Preferred);
        foreach (var server in new[] { B, C, D, E, F, Default })
        {
            list.ConnectionsChanged(server, +1);
        }

        var decision = list.DialSucceeded(A, T0.AddMinutes(2));

        list.States[A].Should().Be(ServerState.Active);
        decision.CloseConnectionsTo.Should().BeEquivalentTo([B, C, D, Default], "E is PREFERRED and F UNCHECKED; G has no connections");
    }

    [Fact]
    public void BecomingActive_PreviousActiveGivesWayToHealthy_AndItsConnectionsClose()
    {
        var list = Listed();
        Drive(list, A, ServerState.Active);
        Drive(list, B, ServerState.Preferred);

        var decision = list.DialSucceeded(B, T0.AddMinutes(2));

        decision.Transitions.Select(t => t.ToString()).Should().Equal(
            $"Server {B}@PREFERRED->ACTIVE from successful dial",
            $"Server {A}@ACTIVE->HEALTHY from {B} becoming active");
        decision.CloseConnectionsTo.Should().Equal(A);
        list.DialOrder()[0].Should().Be(B);
    }

    [Fact]
    public void SetDefault_Replaced_OldStandbyIsDroppedAndItsConnectionsClosed()
    {
        var list = Listed();
        list.ConnectionsChanged(Default, +1);

        var decision = list.SetDefault("lb2.example:6443", T0);

        decision.CloseConnectionsTo.Should().Equal(Default);
        list.States.Keys.Should().BeEquivalentTo(A, B, "lb2.example:6443");
        list.States["lb2.example:6443"].Should().Be(ServerState.Standby);
    }

    [Fact]
    public void SetDefault_Cleared_LeavesOnlyTheListedServers()
    {
        var list = Listed();

        list.SetDefault(null, T0);

        list.DefaultServer.Should().BeNull();
        list.DialOrder().Should().Equal(A, B);
    }

    [Fact]
    public void SetDefault_ToAListedServer_KeepsItsState()
    {
        var list = Listed();
        Drive(list, A, ServerState.Active);

        list.SetDefault(A, T0).CloseConnectionsTo.Should().Equal(Default);

        list.States[A].Should().Be(ServerState.Active, "a default that is also listed is a normal server");
        list.States.Keys.Should().BeEquivalentTo(A, B);
    }

    /// <summary>Moves <paramref name="address"/> from UNCHECKED to <paramref name="target"/> through real inputs at T0.</summary>
    private static void Drive(ServerList list, string address, ServerState target)
    {
        switch (target)
        {
            case ServerState.Failed:
                list.DialFailed(address, T0);
                break;
            case ServerState.Recovering:
                list.DialSucceeded(address, T0);
                break;
            case ServerState.Preferred:
                list.DialSucceeded(address, T0);
                list.HealthChecked(address, true, T0);
                break;
            case ServerState.Healthy:
                Drive(list, address, ServerState.Preferred);
                list.HealthChecked(address, true, T0.Add(ServerList.PreferredFor).AddSeconds(1));
                break;
            case ServerState.Active:
                Drive(list, address, ServerState.Preferred);
                list.DialSucceeded(address, T0);
                break;
        }

        list.States[address].Should().Be(target);
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
