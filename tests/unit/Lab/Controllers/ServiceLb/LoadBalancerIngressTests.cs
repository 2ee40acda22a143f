using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.ServiceLb;
using K3sLab.K3s.Server;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Controllers.ServiceLb;

[Trait("Category", "Unit")]
public sealed class LoadBalancerIngressTests
{
    private static JsonObject Service(string name, string created, string type = "LoadBalancer", string? lbClass = null, params int[] ports) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = name, ["creationTimestamp"] = created },
        ["spec"] = new JsonObject
        {
            ["type"] = type,
            ["loadBalancerClass"] = lbClass,
            ["ports"] = new JsonArray([.. (ports.Length == 0 ? [80] : ports).Select(p => (JsonNode)new JsonObject { ["port"] = p, ["protocol"] = "TCP" })]),
        },
    };

    private static JsonObject Node(string name, string internalIp, bool ready = true, string? externalIp = null, bool enableLb = false)
    {
        var addresses = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = internalIp });
        if (externalIp is not null)
        {
            addresses.Add((JsonNode)new JsonObject { ["type"] = "ExternalIP", ["address"] = externalIp });
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = enableLb ? new JsonObject { [LoadBalancerIngress.EnableLabel] = "true" } : new JsonObject() },
            ["status"] = new JsonObject
            {
                ["addresses"] = addresses,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
            },
        };
    }

    private static JsonObject Slice(string service, params (string Node, string? Kind, bool Ready)[] endpoints) => Slice(service, "default", endpoints);

    private static JsonObject Slice(string service, string ns, params (string Node, string? Kind, bool Ready)[] endpoints) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = $"{service}-abcde", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = service } },
        ["endpoints"] = new JsonArray([.. endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray("10.42.0.5"),
            ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Ready, ["terminating"] = false },
            ["nodeName"] = e.Node,
            ["targetRef"] = e.Kind is null ? null : new JsonObject { ["kind"] = e.Kind, ["namespace"] = ns, ["name"] = "web-0" },
        })]),
    };

    [Fact]
    public void Compute_LoadBalancerService_EveryReadyNodeSorted()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("web", "2026-12-06T10:00:00Z"), Service("plain", "2026-12-06T10:00:00Z", type: "ClusterIP")],
            [Node("b", "172.28.0.100"), Node("a", "172.28.0.9"), Node("down", "172.28.0.50", ready: false)],
            []);

        ingress.Keys.Should().Equal("default/web");
        ingress["default/web"].Should().Equal("172.28.0.9", "172.28.0.100");
    }

    [Fact]
    public void Compute_SamePortOnTwoServices_TheOlderKeepsIt_TheNewerIsPending()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("newer", "2026-12-06T10:05:00Z", ports: [80, 443]), Service("older", "2026-12-06T10:00:00Z"), Service("other-port", "2026-12-06T10:06:00Z", ports: [8080])],
            [Node("a", "172.28.0.9")],
            []);

        ingress["default/older"].Should().Equal("172.28.0.9");
        ingress["default/newer"].Should().BeEmpty("port 80 is held on every node");
        ingress["default/other-port"].Should().Equal("172.28.0.9");
    }

    [Fact]
    public void Compute_EnableLabelOnSomeNodes_OnlyThose_ExternalIpPreferred()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("web", "2026-12-06T10:00:00Z")],
            [Node("a", "172.28.0.9"), Node("b", "172.28.0.10", externalIp: "203.0.113.7", enableLb: true)],
            []);

        ingress["default/web"].Should().Equal("203.0.113.7");
    }

    [Fact]
    public void Compute_LoadBalancerClass_NotServed()
    {
        LoadBalancerIngress.Compute([Service("metallb", "2026-12-06T10:00:00Z", lbClass: "metallb.io/metallb")], [Node("a", "172.28.0.9")], []).Should().BeEmpty();
    }

    [Fact]
    public void Compute_ExternalTrafficPolicyLocal_OnlyNodesWithAReadyPodEndpoint()
    {
        var local = Service("web", "2026-12-06T10:00:00Z");
        local["spec"]!["externalTrafficPolicy"] = "Local";
        var ingress = LoadBalancerIngress.Compute(
            [local, Service("cluster-wide", "2026-12-06T10:01:00Z", ports: [8080])],
            [Node("a", "172.28.0.9"), Node("b", "172.28.0.10"), Node("c", "172.28.0.11"), Node("d", "172.28.0.12")],
            [
                Slice("web", ("a", "Pod", true), ("b", "Pod", false), ("c", null, true)),
                Slice("cluster-wide", ("b", "Pod", true)),
                Slice("web", "other-namespace", ("d", "Pod", true)),
            ]);

        ingress["default/web"].Should().Equal(["172.28.0.9"], "b's endpoint is not ready, c's is not a pod, d's belongs to another namespace's web");
        ingress["default/cluster-wide"].Should().Equal(["172.28.0.9", "172.28.0.10", "172.28.0.11", "172.28.0.12"], "the Cluster policy lists every node");
    }

    [Fact]
    public void Compute_ExternalTrafficPolicyLocal_NoLocalEndpoint_EmptyButItsPortsStayHeld()
    {
        var local = Service("web", "2026-12-06T10:00:00Z");
        local["spec"]!["externalTrafficPolicy"] = "Local";
        var ingress = LoadBalancerIngress.Compute(
            [local, Service("newer", "2026-12-06T10:05:00Z")],
            [Node("a", "172.28.0.9")],
            [Slice("web", ("a", "Pod", false))]);

        ingress["default/web"].Should().BeEmpty("its only endpoint is not ready");
        ingress["default/newer"].Should().BeEmpty("k3s's pods for the older Service bind port 80 on every node, endpoint or not");
    }

    [Fact]
    public void LocalEndpointsFacts_ChangeOnlyWithTheReadyPodNodes()
    {
        var before = Slice("web", ("a", "Pod", true));
        var sameNodes = Slice("web", ("a", "Pod", true), ("b", "Pod", false));
        var moved = Slice("web", ("b", "Pod", true));

        LocalEndpoints.Facts(sameNodes).Should().Be(LocalEndpoints.Facts(before));
        LocalEndpoints.Facts(moved).Should().NotBe(LocalEndpoints.Facts(before));
    }

    [Fact]
    public void ControllerManagerControllers_DisableServiceLb_LeavesItOut()
    {
        using var ca = CertificateAuthority.Create("test-ca");
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default, ca, ca).Select(c => c.Name).Should().Contain("servicelb");
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default with { DisableServiceLb = true }, ca, ca).Select(c => c.Name).Should().NotContain("servicelb");
    }

    [Fact]
    public void ControllerManagerControllers_Default_RunsTheCsrControllersUnlessLeftOut()
    {
        using var ca = CertificateAuthority.Create("test-ca");
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default, ca, ca).Select(c => c.Name).Should().Contain(["csrsigning", "csrapproving", "csrcleaner"]);
        var selection = ControllerSelection.Parse("*,-csrsigning");
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default with { Selection = selection }, ca, ca).Select(c => c.Name).Should().NotContain("csrsigning").And.Contain("csrapproving");
    }
}
