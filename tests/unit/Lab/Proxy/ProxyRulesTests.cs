using System.Text.Json.Nodes;
using K3sLab.K3s.Proxy;

namespace K3sLab.Lab.Tests.Proxy;

[Trait("Category", "Unit")]
public sealed class ProxyRulesTests
{
    private static JsonObject Service(string name, string type, string clusterIp, params (string Name, int Port, int? NodePort)[] ports) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["type"] = type,
            ["clusterIP"] = clusterIp,
            ["clusterIPs"] = new JsonArray(clusterIp),
            ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["protocol"] = "TCP", ["port"] = p.Port, ["nodePort"] = p.NodePort })]),
        },
    };

    private static JsonObject Slice(string service, string portName, int port, params (string Ip, bool? Ready, bool? Serving, bool? Terminating)[] endpoints) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = service + "-abcde", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = service } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray(new JsonObject { ["name"] = portName, ["protocol"] = "TCP", ["port"] = port }),
        ["endpoints"] = new JsonArray([.. endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(e.Ip),
            ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Serving, ["terminating"] = e.Terminating },
        })]),
    };

    [Fact]
    public void ChainNames_AreKubeProxys()
    {
        // The chain every kube-proxy node has for the API server's Service, as iptables-save shows it.
        var rule = new ServicePortRule("default", "kubernetes", "https", "TCP", ["10.43.0.1"], 443, null, []);
        ProxyChainNames.Service(rule).Should().Be("KUBE-SVC-NPX46M4PTMTKRN6Y");
    }

    [Fact]
    public void Build_ReadyEndpoints_GetEqualRandomShares_AndDnat()
    {
        var rules = ProxyModel.Build(
            [Service("web", "ClusterIP", "10.43.0.20", ("http", 80, null))],
            [Slice("web", "http", 8080, ("172.28.0.5", true, true, false), ("172.28.0.3", null, null, null), ("172.28.0.4", true, true, false), ("172.28.0.9", false, false, false))]);

        rules.Should().ContainSingle().Which.Endpoints.Select(e => e.ToString()).Should().Equal("172.28.0.3:8080", "172.28.0.4:8080", "172.28.0.5:8080");
        var text = ProxyRules.Build(rules, []);
        var svc = ProxyChainNames.Service(rules[0]);
        text.Should().Contain($"-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http cluster IP\" -j {svc}\n");
        var shares = text.Split('\n').Where(l => l.StartsWith($"-A {svc} ", StringComparison.Ordinal)).ToList();
        shares.Should().HaveCount(3);
        shares[0].Should().Contain("--probability 0.3333333333");
        shares[1].Should().Contain("--probability 0.5000000000");
        shares[2].Should().NotContain("statistic", "the last endpoint takes what is left");
        text.Should().Contain("-j DNAT --to-destination 172.28.0.4:8080\n");
        text.Should().NotContain("172.28.0.9", "a not-ready endpoint gets no traffic while ready ones exist");
        text.Should().NotContain("REJECT");
    }

    [Fact]
    public void Build_NoReadyEndpoint_FallsBackToServingTerminating_ThenRejects()
    {
        var terminating = ProxyModel.Build([Service("web", "ClusterIP", "10.43.0.20", ("", 80, null))], [Slice("web", "", 8080, ("172.28.0.5", false, true, true))]);
        terminating.Single().Endpoints.Should().ContainSingle().Which.Ip.Should().Be("172.28.0.5");

        var none = ProxyModel.Build([Service("web", "NodePort", "10.43.0.20", ("", 80, 30080))], [Slice("web", "", 8080, ("172.28.0.5", false, false, false))]);
        var text = ProxyRules.Build(none, []);
        text.Should().Contain("-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web has no endpoints\" -j REJECT --reject-with tcp-reset\n");
        text.Should().Contain("-A KUBE-EXTERNAL-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment \"default/web has no endpoints\" -j REJECT");
        text.Should().NotContain("KUBE-SVC-");

        // A node's own connections get an ICMP error only as a soft error (refused a second later); UDP has no reset.
        var dns = new ServicePortRule("kube-system", "kube-dns", "dns", "UDP", ["10.43.0.10"], 53, null, []);
        ProxyRules.Build([dns], []).Should().Contain("-A KUBE-SERVICES -d 10.43.0.10/32 -p udp -m udp --dport 53 -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -j REJECT --reject-with icmp-port-unreachable\n");
    }

    [Fact]
    public void Build_NodePort_GoesThroughTheMasqueradingExternalChain()
    {
        var rules = ProxyModel.Build([Service("web", "NodePort", "10.43.0.20", ("http", 80, 30080))], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]);
        var text = ProxyRules.Build(rules, []);
        var ext = ProxyChainNames.External(rules[0]);
        text.Should().Contain($"-A KUBE-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment default/web:http -j {ext}\n");
        text.Should().Contain($"-A {ext} -m comment --comment \"masquerade traffic for default/web:http external destinations\" -j KUBE-MARK-MASQ\n");
        text.Should().Contain($"-A {ext} -j {ProxyChainNames.Service(rules[0])}\n");
        text.Split('\n').Last(l => l.StartsWith("-A KUBE-SERVICES", StringComparison.Ordinal)).Should().Contain("-j KUBE-NODEPORTS", "the node-port jump must be the chain's last rule");
    }

    [Fact]
    public void Build_ClusterIpService_HasNoNodePort_AndSkipsHeadlessAndExternalName()
    {
        JsonObject external = new() { ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = "ext" }, ["spec"] = new JsonObject { ["type"] = "ExternalName", ["externalName"] = "example.com" } };
        var rules = ProxyModel.Build([Service("web", "ClusterIP", "10.43.0.20", ("", 80, 30080)), Service("headless", "ClusterIP", "None", ("", 80, null)), external], []);
        rules.Should().ContainSingle().Which.NodePort.Should().BeNull("a ClusterIP Service's nodePort field means nothing");
    }

    [Fact]
    public void Build_StaleChains_AreFlushedAndDeleted_OthersLeftAlone()
    {
        var rules = ProxyModel.Build([Service("web", "ClusterIP", "10.43.0.20", ("", 80, null))], [Slice("web", "", 8080, ("172.28.0.5", true, true, false))]);
        var kept = ProxyChainNames.Service(rules[0]);
        var text = ProxyRules.Build(rules, ProxyRules.DeclaredChains($"*nat\n:PREROUTING ACCEPT [0:0]\n:{kept} - [0:0]\n:KUBE-SEP-OLDOLDOLDOLDOLD0 - [0:0]\n:DOCKER - [0:0]\nCOMMIT\n"));
        text.Should().Contain(":KUBE-SEP-OLDOLDOLDOLDOLD0 - [0:0]\n").And.Contain("-X KUBE-SEP-OLDOLDOLDOLDOLD0\n");
        text.Should().NotContain($"-X {kept}").And.NotContain("DOCKER").And.NotContain("PREROUTING");
    }

    [Fact]
    public void Build_LoadBalancerIngress_LeadsToTheExternalChain_OrIsRejected()
    {
        var service = Service("web", "LoadBalancer", "10.43.0.20", ("http", 80, 30080));
        service["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = "172.28.0.9" }, new JsonObject { ["hostname"] = "lb.example" }) } };
        var rules = ProxyModel.Build([service], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]);

        rules.Single().LoadBalancerIps.Should().Equal("172.28.0.9");
        var text = ProxyRules.Build(rules, []);
        text.Should().Contain($"-A KUBE-SERVICES -d 172.28.0.9/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http loadbalancer IP\" -j {ProxyChainNames.External(rules[0])}\n");

        var none = ProxyRules.Build(ProxyModel.Build([service], []), []);
        none.Should().Contain("-A KUBE-EXTERNAL-SERVICES -d 172.28.0.9/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http has no endpoints\" -j REJECT --reject-with tcp-reset\n");
    }

    [Fact]
    public void Model_SourceRanges_FromTheSpecElseTheAnnotation_Ipv4Networks_LoadBalancerOnly()
    {
        var service = Service("web", "LoadBalancer", "10.43.0.20", ("http", 80, 30080));
        service["spec"]!["loadBalancerSourceRanges"] = new JsonArray("192.168.1.7/24", " 10.0.0.0/8", "fd00::/8", "not-a-range", "10.0.0.0/8", "192.012.2.0/24", "1.2.3/8");
        service["metadata"]!["annotations"] = new JsonObject { [ProxyModel.SourceRangesAnnotation] = "172.16.0.0/12" };
        ProxyModel.Build([service], []).Single().SourceRanges.Should().Equal(
            ["192.168.1.0/24", "10.0.0.0/8", "192.12.2.0/24"],
            "a leading zero is decimal, as the API server read it when it accepted the range (.NET's parser alone would read 012 as octal 10)");

        service["spec"]!.AsObject().Remove("loadBalancerSourceRanges");
        ProxyModel.Build([service], []).Single().SourceRanges.Should().Equal(["172.16.0.0/12"], "kube-proxy reads the annotation when the field is empty");

        service["spec"]!["type"] = "NodePort";
        ProxyModel.Build([service], []).Single().SourceRanges.Should().BeEmpty();
    }

    [Fact]
    public void Build_SourceRanges_LoadBalancerAddressesGoThroughTheFirewallChain_TheRestIsDroppedInFilter()
    {
        var service = Service("web", "LoadBalancer", "10.43.0.20", ("http", 80, 30080));
        service["spec"]!["loadBalancerSourceRanges"] = new JsonArray("192.168.1.0/24", "10.0.0.0/8");
        service["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = "172.28.0.9" }) } };
        var rules = ProxyModel.Build([service], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]);
        var fw = ProxyChainNames.Firewall(rules[0]);
        var ext = ProxyChainNames.External(rules[0]);

        var text = ProxyRules.Build(rules, []);

        fw.Should().StartWith("KUBE-FW-");
        text.Should().Contain($":{fw} - [0:0]\n")
            .And.Contain($"-A KUBE-SERVICES -d 172.28.0.9/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http loadbalancer IP\" -j {fw}\n")
            .And.Contain($"-A {fw} -m comment --comment \"default/web:http loadbalancer IP\" -s 192.168.1.0/24 -j {ext}\n")
            .And.Contain($"-A {fw} -m comment --comment \"default/web:http loadbalancer IP\" -s 10.0.0.0/8 -j {ext}\n")
            .And.Contain($"-A {fw} -m comment --comment \"other traffic to default/web:http will be dropped by KUBE-PROXY-FIREWALL\"\n")
            .And.Contain($"-A KUBE-PROXY-FIREWALL -d 172.28.0.9/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http traffic not accepted by {fw}\" -j DROP\n")
            .And.Contain($"-A KUBE-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment default/web:http -j {ext}\n", "node ports are not filtered");
        text.IndexOf(":KUBE-PROXY-FIREWALL - [0:0]", StringComparison.Ordinal).Should().BeLessThan(text.IndexOf("*nat", StringComparison.Ordinal), "it is a filter chain");

        // Without ranges, or without load balancer addresses, nothing goes through a firewall and the chain is emptied.
        service["spec"]!.AsObject().Remove("loadBalancerSourceRanges");
        var open = ProxyRules.Build(ProxyModel.Build([service], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]), [fw]);
        open.Should().Contain(":KUBE-PROXY-FIREWALL - [0:0]\n").And.NotContain("-A KUBE-PROXY-FIREWALL").And.Contain($"-X {fw}\n", "a stale firewall chain is deleted");
        ProxyRules.Jumps.Should().Contain(j => j.Table == "filter" && j.Chain == "INPUT" && j.Rule.Contains("KUBE-PROXY-FIREWALL") && j.Rule.Contains("NEW"));
    }

    [Fact]
    public void Writes_SecondFilterWrite_KeepsTheFirewall()
    {
        var service = Service("web", "LoadBalancer", "10.43.0.20", ("http", 80, 30080));
        service["spec"]!["loadBalancerSourceRanges"] = new JsonArray("10.0.0.0/8");
        service["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = "172.28.0.9" }) } };
        var before = ProxyModel.Build([service], []);
        var after = ProxyModel.Build([service], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]);

        var writes = ProxyRules.Writes(after, ProxyRules.RejectRules(before), []);

        writes.Should().HaveCount(2);
        writes[1].Should().Contain("-A KUBE-PROXY-FIREWALL -d 172.28.0.9/32", "the filter-only write declares, and so flushes, the firewall chain too");
    }

    [Fact]
    public void Writes_PortGainingEndpoints_KeepsItsRejectUntilItsDnatIsIn_ThenDropsIt()
    {
        // iptables-restore commits the filter table before the nat table: dropping the reject in the same write would
        // leave a moment in which the cluster IP is neither refused nor translated.
        var service = Service("web", "NodePort", "10.43.0.20", ("", 80, 30080));
        var before = ProxyModel.Build([service], []);
        var after = ProxyModel.Build([service], [Slice("web", "", 8080, ("172.28.0.5", true, true, false))]);

        var writes = ProxyRules.Writes(after, ProxyRules.RejectRules(before), []);

        writes.Should().HaveCount(2);
        var first = writes[0];
        first.IndexOf("*filter", StringComparison.Ordinal).Should().BeLessThan(first.IndexOf("*nat", StringComparison.Ordinal));
        first.Should().Contain("-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web has no endpoints\" -j REJECT")
            .And.Contain("--dport 30080 -m comment --comment \"default/web has no endpoints\" -j REJECT")
            .And.Contain("-j DNAT --to-destination 172.28.0.5:8080");
        writes[1].Should().StartWith("*filter\n").And.EndWith("COMMIT\n").And.NotContain("REJECT").And.NotContain("*nat");
    }

    [Fact]
    public void Writes_PortLosingEndpoints_OrNothingChanged_IsOneWrite_RejectCommittedBeforeTheDnatGoes()
    {
        var service = Service("web", "ClusterIP", "10.43.0.20", ("", 80, null));
        var served = ProxyModel.Build([service], [Slice("web", "", 8080, ("172.28.0.5", true, true, false))]);
        var empty = ProxyModel.Build([service], []);

        var losing = ProxyRules.Writes(empty, ProxyRules.RejectRules(served), []);
        losing.Should().ContainSingle().Which.Should().Be(ProxyRules.Build(empty, []));
        losing[0].IndexOf("REJECT", StringComparison.Ordinal).Should().BeLessThan(losing[0].IndexOf("*nat", StringComparison.Ordinal));

        ProxyRules.Writes(empty, ProxyRules.RejectRules(empty), []).Should().Equal(ProxyRules.Build(empty, []));
    }

    [Fact]
    public void SavedRejectRules_AreTheProxysRejects_AsSaved_AndKeptByTheFirstWrite()
    {
        // A restarted proxy finds the rules its predecessor left; iptables-save words the node-port reject its own way.
        const string Save = """
            *filter
            :INPUT ACCEPT [0:0]
            :KUBE-EXTERNAL-SERVICES - [0:0]
            :KUBE-SERVICES - [0:0]
            -A INPUT -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
            -A KUBE-EXTERNAL-SERVICES -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 30080 -m comment --comment "default/web has no endpoints" -j REJECT --reject-with icmp-port-unreachable
            -A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web has no endpoints" -j REJECT --reject-with icmp-port-unreachable
            -A OUTPUT -p tcp -j REJECT
            COMMIT
            """;
        var saved = ProxyRules.SavedRejectRules(Save);
        saved.Should().HaveCount(2).And.OnlyContain(l => l.Contains("default/web has no endpoints"));

        var after = ProxyModel.Build([Service("web", "NodePort", "10.43.0.20", ("", 80, 30080))], [Slice("web", "", 8080, ("172.28.0.5", true, true, false))]);
        var writes = ProxyRules.Writes(after, saved, []);
        writes.Should().HaveCount(2);
        writes[0].Should().Contain(saved[0] + "\n").And.Contain(saved[1] + "\n");
        writes[1].Should().NotContain("REJECT");
    }

    [Fact]
    public void Build_ClientIpAffinity_SendsAKnownClientBackBeforeTheRandomShares()
    {
        var service = Service("web", "ClusterIP", "10.43.0.20", ("http", 80, null));
        service["spec"]!["sessionAffinity"] = "ClientIP";
        service["spec"]!["sessionAffinityConfig"] = new JsonObject { ["clientIP"] = new JsonObject { ["timeoutSeconds"] = 600 } };
        var slice = Slice("web", "http", 8080, ("172.28.0.5", true, true, false), ("172.28.0.6", true, true, false));
        var rules = ProxyModel.Build([service], [slice]);
        rules.Single().AffinitySeconds.Should().Be(600);

        var text = ProxyRules.Build(rules, []);
        var svc = ProxyChainNames.Service(rules[0]);
        var sep5 = ProxyChainNames.Endpoint(rules[0], new ProxyEndpoint("172.28.0.5", 8080));
        var lines = text.Split('\n').Where(l => l.StartsWith($"-A {svc} ", StringComparison.Ordinal)).ToList();
        lines.Should().HaveCount(4);
        lines[0].Should().Be($"-A {svc} -m comment --comment \"default/web:http -> 172.28.0.5:8080\" -m recent --name {sep5} --mask 255.255.255.255 --rcheck --seconds 600 --reap -j {sep5}");
        lines[1].Should().Contain("--rcheck --seconds 600");
        lines[2].Should().Contain("--probability 0.5000000000", "the random shares come after the remembered clients");
        text.Should().Contain($"-A {sep5} -p tcp -m tcp -m comment --comment default/web:http -m recent --set --name {sep5} --mask 255.255.255.255 --rsource -j DNAT --to-destination 172.28.0.5:8080\n");

        service["spec"]!["sessionAffinityConfig"] = null;
        ProxyModel.Build([service], [slice]).Single().AffinitySeconds.Should().Be(10800, "kube's default timeout");
        service["spec"]!["sessionAffinity"] = "None";
        var none = ProxyModel.Build([service], [slice]);
        none.Single().AffinitySeconds.Should().BeNull();
        ProxyRules.Build(none, []).Should().NotContain("-m recent");
    }

    [Fact]
    public void Build_ExternalIps_LeadToTheExternalChain_OrAreRejected_ButNotForHeadlessServices()
    {
        var service = Service("web", "ClusterIP", "10.43.0.20", ("http", 80, null));
        service["spec"]!["externalIPs"] = new JsonArray("172.28.0.100", "fd00::1", "not-an-ip");
        var rules = ProxyModel.Build([service], [Slice("web", "http", 8080, ("172.28.0.5", true, true, false))]);

        rules.Single().ExternalIps.Should().Equal("172.28.0.100");
        var external = ProxyChainNames.External(rules[0]);
        var text = ProxyRules.Build(rules, []);
        text.Should().Contain($"-A KUBE-SERVICES -d 172.28.0.100/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http external IP\" -j {external}\n")
            .And.Contain($":{external} - [0:0]\n")
            .And.Contain($"-A {external} -m comment --comment \"masquerade traffic for default/web:http external destinations\" -j KUBE-MARK-MASQ\n");

        ProxyRules.Build(ProxyModel.Build([service], []), []).Should().Contain("-A KUBE-EXTERNAL-SERVICES -d 172.28.0.100/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http has no endpoints\" -j REJECT --reject-with tcp-reset\n");

        service["spec"]!["clusterIP"] = "None";
        service["spec"]!["clusterIPs"] = new JsonArray("None");
        ProxyModel.Build([service], []).Should().BeEmpty("a headless Service gets no rules, as kube-proxy skips it");
    }
}
