using K3sLab.K3s.Proxy;

namespace K3sLab.Lab.Tests.Proxy;

/// <summary>Which UDP conntrack entries a rules change leaves stale, as kube-proxy clears them.</summary>
[Trait("Category", "Unit")]
public sealed class StaleUdpFlowsTests
{
    private static ServicePortRule Dns(params string[] endpoints) =>
        new("kube-system", "kube-dns", "dns", "UDP", ["10.43.0.10"], 53, null, [.. endpoints.Select(e => new ProxyEndpoint(e, 53))]);

    [Fact]
    public void EndpointLeavingAUdpService_ItsFlowsOnTheClusterIpAreCleared()
    {
        var flows = StaleUdpFlows.Find([Dns("172.28.0.10", "172.28.0.11", "172.28.0.12")], [Dns("172.28.0.11", "172.28.0.12")]);

        flows.Should().Equal(new ConntrackFlow("10.43.0.10", 53, "172.28.0.10"));
        flows[0].DeleteArguments().Should().Equal("-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--dport", "53", "--reply-src", "172.28.0.10");
        flows[0].ToString().Should().Be("udp 10.43.0.10:53 -> 172.28.0.10");
    }

    [Fact]
    public void NodePortsLoadBalancerAndExternalAddresses_AreClearedToo_AndARemovedServiceLosesEveryEndpoint()
    {
        var before = new ServicePortRule("default", "game", "", "UDP", ["10.43.5.5"], 7777, 30777, [new ProxyEndpoint("10.42.1.4", 7000)]) { LoadBalancerIps = ["172.28.0.100"], ExternalIps = ["172.28.0.7"] };

        var flows = StaleUdpFlows.Find([before], []);

        flows.Should().Equal(
            new ConntrackFlow("10.43.5.5", 7777, "10.42.1.4"),
            new ConntrackFlow("172.28.0.100", 7777, "10.42.1.4"),
            new ConntrackFlow("172.28.0.7", 7777, "10.42.1.4"),
            new ConntrackFlow(null, 30777, "10.42.1.4"));
        flows[3].DeleteArguments().Should().Equal("-D", "-p", "udp", "--dport", "30777", "--reply-src", "10.42.1.4");
    }

    [Fact]
    public void UdpPortGainingItsFirstEndpoint_ClearsTheRefusedFlows()
    {
        StaleUdpFlows.Find([Dns()], [Dns("172.28.0.10")]).Should().Equal(new ConntrackFlow("10.43.0.10", 53, null));
        new ConntrackFlow("10.43.0.10", 53, null).DeleteArguments().Should().Equal("-D", "-p", "udp", "--orig-dst", "10.43.0.10", "--dport", "53");
    }

    [Fact]
    public void TcpChangesAndUnchangedOrAddedEndpoints_ClearNothing()
    {
        var tcpBefore = new ServicePortRule("default", "web", "", "TCP", ["10.43.1.1"], 80, null, [new ProxyEndpoint("10.42.0.5", 8080)]);
        var tcpAfter = tcpBefore with { Endpoints = [] };

        StaleUdpFlows.Find([tcpBefore, Dns("172.28.0.10")], [tcpAfter, Dns("172.28.0.10", "172.28.0.11")]).Should().BeEmpty();
    }
}
