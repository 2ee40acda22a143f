using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Endpoints;

namespace K3sLab.Lab.Tests.Controllers;

[Trait("Category", "Unit")]
public sealed class EndpointsTests
{
    [Fact]
    public void From_SelectsMatchingPodsWithAnIpAndResolvesNamedPorts()
    {
        var service = Service("""{"app":"web"}""", """[{"name":"h","port":80,"targetPort":"http"},{"name":"m","port":9090}]""");
        JsonObject[] pods =
        [
            Pod("b", "10.0.0.2", ready: true),
            Pod("a", "10.0.0.1", ready: false),
            Pod("other", "10.0.0.3", ready: true, app: "db"),
            Pod("pending", null, ready: false),
            Pod("done", "10.0.0.4", ready: false, phase: "Succeeded"),
        ];

        var endpoints = ServiceEndpoints.From(service, pods);

        endpoints.Select(e => e.PodName).Should().Equal("a", "b");
        endpoints[1].Ports.Should().BeEquivalentTo(new Dictionary<string, int> { ["h"] = 8080, ["m"] = 9090 });
        endpoints[0].Ready.Should().BeFalse();
        endpoints[1].Ready.Should().BeTrue();
    }

    [Fact]
    public void Subsets_SplitsReadyFromNotReadyAndLeavesTerminatingPodsOut()
    {
        var service = Service("""{"app":"web"}""", """[{"name":"h","port":80,"targetPort":8080}]""");
        var terminating = Pod("c", "10.0.0.3", ready: true);
        terminating["metadata"]!["deletionTimestamp"] = "2026-12-01T00:00:00Z";
        var endpoints = ServiceEndpoints.From(service, [Pod("a", "10.0.0.1", ready: true), Pod("b", "10.0.0.2", ready: false), terminating]);

        var subsets = EndpointsDocuments.Subsets(endpoints, ServiceEndpoints.Ports(service));

        subsets.Should().HaveCount(1);
        subsets[0]!["addresses"]!.AsArray().Select(a => a!["ip"]!.GetValue<string>()).Should().Equal("10.0.0.1");
        subsets[0]!["notReadyAddresses"]!.AsArray().Select(a => a!["ip"]!.GetValue<string>()).Should().Equal("10.0.0.2");
        subsets[0]!["ports"]!.ToJsonString().Should().Be("""[{"name":"h","port":8080,"protocol":"TCP"}]""");
    }

    [Fact]
    public void Slices_KeepTerminatingPodsWithConditionsAndChunkAtOneHundred()
    {
        var service = Service("""{"app":"web"}""", """[{"port":80}]""");
        var pods = Enumerable.Range(0, 150).Select(i => Pod($"p{i:D3}", $"10.0.{i / 250}.{i % 250}", ready: i % 2 == 0)).ToArray();
        pods[0]["metadata"]!["deletionTimestamp"] = "2026-12-01T00:00:00Z";

        var slices = EndpointsDocuments.Slices(ServiceEndpoints.From(service, pods), ServiceEndpoints.Ports(service));

        slices.Select(s => s.Endpoints.Count).Should().Equal(100, 50);
        var first = slices.SelectMany(s => s.Endpoints).Single(e => e!["targetRef"]!["name"]!.GetValue<string>() == "p000")!;
        first["conditions"]!.ToJsonString().Should().Be("""{"ready":false,"serving":true,"terminating":true}""");
        slices[0].Ports.ToJsonString().Should().Be("""[{"port":80,"protocol":"TCP"}]""");
    }

    [Fact]
    public void Managed_ServicesWithoutSelectorOrExternalName_AreLeftAlone()
    {
        ServiceEndpoints.Managed(Service("{}", "[]")).Should().BeFalse();
        var external = Service("""{"app":"web"}""", "[]");
        external["spec"]!["type"] = "ExternalName";
        ServiceEndpoints.Managed(external).Should().BeFalse();
        ServiceEndpoints.Managed(Service("""{"app":"web"}""", "[]")).Should().BeTrue();
    }

    private static JsonObject Service(string selector, string ports) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default", ["uid"] = "svc-uid" },
        ["spec"] = new JsonObject { ["selector"] = JsonNode.Parse(selector), ["ports"] = JsonNode.Parse(ports) },
    };

    private static JsonObject Pod(string name, string? ip, bool ready, string app = "web", string phase = "Running") => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["uid"] = name + "-uid", ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = JsonNode.Parse("""{"nodeName":"n1","containers":[{"name":"c","ports":[{"name":"http","containerPort":8080}]}]}"""),
        ["status"] = new JsonObject
        {
            ["phase"] = phase,
            ["podIP"] = ip,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
        },
    };
}
