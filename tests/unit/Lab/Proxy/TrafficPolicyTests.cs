using System.Text.Json.Nodes;
using K3sLab.K3s.Proxy;

namespace K3sLab.Lab.Tests.Proxy;

/// <summary>
/// <c>externalTrafficPolicy</c> and <c>internalTrafficPolicy</c> <c>Local</c> as kube-proxy's iptables mode writes
/// them: this node's endpoints only (<c>KUBE-SVL-</c>), no masquerade for outside clients, the node's own connections
/// still balanced over the cluster, and a port with endpoints elsewhere only dropped, not refused.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TrafficPolicyTests
{
    private const string Node = "agent-0";

    private static JsonObject Service(string type, string? external = null, string? @internal = null) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = "web" },
        ["spec"] = new JsonObject
        {
            ["type"] = type,
            ["clusterIP"] = "10.43.0.20",
            ["clusterIPs"] = new JsonArray("10.43.0.20"),
            ["externalTrafficPolicy"] = external,
            ["internalTrafficPolicy"] = @internal,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "", ["protocol"] = "TCP", ["port"] = 80, ["nodePort"] = type == "ClusterIP" ? null : 30080 }),
        },
    };

    private static JsonObject Slice(params (string Ip, string NodeName, bool Ready, bool Terminating)[] endpoints) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = "web-abcde", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "web" } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "", ["protocol"] = "TCP", ["port"] = 8080 }),
        ["endpoints"] = new JsonArray([.. endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(e.Ip),
            ["nodeName"] = e.NodeName,
            ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Ready || e.Terminating, ["terminating"] = e.Terminating },
        })]),
    };

    private static readonly JsonObject Both = Slice(("172.28.0.100", Node, true, false), ("172.28.0.101", "agent-1", true, false));

    [Fact]
    public void Model_LocalEndpoints_AreThisNodes_WithTheirOwnTerminatingFallback()
    {
        var rule = ProxyModel.Build([Service("NodePort", external: "Local")], [Both], Node).Single();
        rule.ExternalLocal.Should().BeTrue();
        rule.InternalLocal.Should().BeFalse();
        rule.Endpoints.Select(e => e.Ip).Should().Equal("172.28.0.100", "172.28.0.101");
        rule.LocalEndpoints.Select(e => e.Ip).Should().Equal("172.28.0.100");

        // The only local endpoint terminates while one elsewhere is ready: the local set falls back on its own.
        var fallback = ProxyModel.Build([Service("NodePort", external: "Local")], [Slice(("172.28.0.100", Node, false, true), ("172.28.0.101", "agent-1", true, false))], Node).Single();
        fallback.Endpoints.Select(e => e.Ip).Should().Equal("172.28.0.101");
        fallback.LocalEndpoints.Select(e => e.Ip).Should().Equal("172.28.0.100");

        ProxyModel.Build([Service("NodePort", external: "Local")], [Both]).Single().LocalEndpoints.Should().BeEmpty("without a node name no endpoint is local");
    }

    [Fact]
    public void ExternalLocal_NodePort_GoesToThisNodesEndpoints_WithoutMasquerade_ExceptTheNodesOwnConnections()
    {
        var rules = ProxyModel.Build([Service("NodePort", external: "Local")], [Both], Node);
        var text = ProxyRules.Build(rules, []);
        var ext = ProxyChainNames.External(rules[0]);
        var svc = ProxyChainNames.Service(rules[0]);
        var svl = ProxyChainNames.LocalService(rules[0]);
        var local = ProxyChainNames.Endpoint(rules[0], rules[0].LocalEndpoints[0]);

        Lines(text, $"-A {ext} ").Should().Equal(
            $"-A {ext} -m comment --comment \"masquerade LOCAL traffic for default/web external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
            $"-A {ext} -m comment --comment \"route LOCAL traffic for default/web external destinations\" -m addrtype --src-type LOCAL -j {svc}",
            $"-A {ext} -j {svl}");
        Lines(text, $"-A {svl} ").Should().Equal($"-A {svl} -m comment --comment \"default/web -> 172.28.0.100:8080\" -j {local}");
        Lines(text, $"-A {svc} ").Should().HaveCount(2, "the cluster IP still balances over both nodes' endpoints");
        text.Should().Contain($"-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web cluster IP\" -j {svc}\n");
        Lines(text, $"-A {local} ").Should().ContainSingle("an endpoint chain is written once, whichever chains lead to it");
        text.Should().NotContain("DROP").And.NotContain("REJECT");
    }

    [Fact]
    public void ExternalLocal_WithoutALocalEndpoint_DropsTheNodePort_AndKeepsTheClusterIp()
    {
        var rules = ProxyModel.Build([Service("NodePort", external: "Local")], [Slice(("172.28.0.101", "agent-1", true, false))], Node);
        var text = ProxyRules.Build(rules, []);

        text.Should().Contain("-A KUBE-EXTERNAL-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment \"default/web has no local endpoints\" -j DROP\n");
        text.Should().NotContain("KUBE-NODEPORTS -p tcp").And.NotContain(ProxyChainNames.External(rules[0])).And.NotContain("KUBE-SVL-");
        text.Should().Contain($"-j {ProxyChainNames.Service(rules[0])}\n", "cluster IP traffic keeps the cluster policy");
        ProxyRules.SavedRejectRules(string.Join('\n', ProxyRules.RejectRules(rules))).Should().Equal(ProxyRules.RejectRules(rules), "a restarted proxy finds its drops as it finds its rejects");
    }

    [Fact]
    public void InternalLocal_ClusterIp_GoesToThisNodesEndpoints_OrIsDropped_AndWithoutAnyEndpointIsRefused()
    {
        var rules = ProxyModel.Build([Service("ClusterIP", @internal: "Local")], [Both], Node);
        var text = ProxyRules.Build(rules, []);
        var svl = ProxyChainNames.LocalService(rules[0]);
        text.Should().Contain($"-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web cluster IP\" -j {svl}\n");
        Lines(text, $"-A {svl} ").Should().ContainSingle().Which.Should().Contain("172.28.0.100:8080");

        var elsewhere = ProxyRules.Build(ProxyModel.Build([Service("ClusterIP", @internal: "Local")], [Slice(("172.28.0.101", "agent-1", true, false))], Node), []);
        elsewhere.Should().Contain("-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web has no local endpoints\" -j DROP\n");
        elsewhere.Should().NotContain("cluster IP\"");

        var none = ProxyRules.Build(ProxyModel.Build([Service("ClusterIP", @internal: "Local")], [], Node), []);
        none.Should().Contain("\"default/web has no endpoints\" -j REJECT --reject-with tcp-reset\n");
    }

    [Fact]
    public void Writes_APortGainingALocalEndpoint_KeepsItsDropUntilItsDnatIsIn()
    {
        var service = Service("NodePort", external: "Local");
        var before = ProxyModel.Build([service], [Slice(("172.28.0.101", "agent-1", true, false))], Node);
        var after = ProxyModel.Build([service], [Both], Node);

        var writes = ProxyRules.Writes(after, ProxyRules.RejectRules(before), []);

        writes.Should().HaveCount(2);
        writes[0].Should().Contain("has no local endpoints\" -j DROP").And.Contain("-A KUBE-NODEPORTS");
        writes[1].Should().NotContain("DROP");
    }

    [Fact]
    public void StaleUdpFlows_AClusterIpGainingALocalEndpoint_ClearsItsDroppedFlows()
    {
        var rule = new ServicePortRule("kube-system", "dns", "", "UDP", ["10.43.0.10"], 53, null, [new("172.28.0.101", 53)]) { InternalLocal = true };
        var gained = rule with { Endpoints = [new("172.28.0.100", 53), new("172.28.0.101", 53)], LocalEndpoints = [new("172.28.0.100", 53)] };

        StaleUdpFlows.Find([rule], [gained]).Should().Equal(new ConntrackFlow("10.43.0.10", 53, null));
        StaleUdpFlows.Find([gained], [rule]).Should().Equal(new ConntrackFlow("10.43.0.10", 53, "172.28.0.100"));
    }

    [Fact]
    public void Model_HealthCheckNodePort_OnlyForALoadBalancerWithTheLocalPolicy()
    {
        var service = Service("LoadBalancer", external: "Local");
        service["spec"]!["healthCheckNodePort"] = 31000;
        ProxyModel.Build([service], [Both], Node).Single().HealthCheckNodePort.Should().Be(31000);

        service["spec"]!["externalTrafficPolicy"] = "Cluster";
        ProxyModel.Build([service], [Both], Node).Single().HealthCheckNodePort.Should().BeNull();
    }

    private static List<string> Lines(string text, string prefix) => [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];
}
