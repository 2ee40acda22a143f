using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.ServiceLb;
using K3sLab.K3s.Server;

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

    [Fact]
    public void Compute_LoadBalancerService_EveryReadyNodeSorted()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("web", "2026-12-06T10:00:00Z"), Service("plain", "2026-12-06T10:00:00Z", type: "ClusterIP")],
            [Node("b", "172.28.0.100"), Node("a", "172.28.0.9"), Node("down", "172.28.0.50", ready: false)]);

        ingress.Keys.Should().Equal("default/web");
        ingress["default/web"].Should().Equal("172.28.0.9", "172.28.0.100");
    }

    [Fact]
    public void Compute_SamePortOnTwoServices_TheOlderKeepsIt_TheNewerIsPending()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("newer", "2026-12-06T10:05:00Z", ports: [80, 443]), Service("older", "2026-12-06T10:00:00Z"), Service("other-port", "2026-12-06T10:06:00Z", ports: [8080])],
            [Node("a", "172.28.0.9")]);

        ingress["default/older"].Should().Equal("172.28.0.9");
        ingress["default/newer"].Should().BeEmpty("port 80 is held on every node");
        ingress["default/other-port"].Should().Equal("172.28.0.9");
    }

    [Fact]
    public void Compute_EnableLabelOnSomeNodes_OnlyThose_ExternalIpPreferred()
    {
        var ingress = LoadBalancerIngress.Compute(
            [Service("web", "2026-12-06T10:00:00Z")],
            [Node("a", "172.28.0.9"), Node("b", "172.28.0.10", externalIp: "203.0.113.7", enableLb: true)]);

        ingress["default/web"].Should().Equal("203.0.113.7");
    }

    [Fact]
    public void Compute_LoadBalancerClass_NotServed()
    {
        LoadBalancerIngress.Compute([Service("metallb", "2026-12-06T10:00:00Z", lbClass: "metallb.io/metallb")], [Node("a", "172.28.0.9")]).Should().BeEmpty();
    }

    [Fact]
    public void ControllerManagerControllers_DisableServiceLb_LeavesItOut()
    {
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default, string.Empty).Select(c => c.Name).Should().Contain("servicelb");
        ControlPlane.ControllerManagerControllers(ControllerSettings.Default with { DisableServiceLb = true }, string.Empty).Select(c => c.Name).Should().NotContain("servicelb");
    }
}
