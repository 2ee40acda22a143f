using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.NodeLifecycle;
using static K3sLab.Lab.Tests.Controllers.NodeLifecycle.NodeJson;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

[Trait("Category", "Unit")]
public sealed class NodeConditionsUnknownTests
{
    [Fact]
    public void Apply_ReadyNode_AllFourUnknownWithTheirHeartbeatsKept()
    {
        var conditions = NodeConditionsUnknown.Apply(Node(heartbeat: "2026-01-01T11:59:20Z"), T0)!;

        conditions.Should().HaveCount(4);
        foreach (var condition in conditions.OfType<JsonObject>())
        {
            condition.Str("status").Should().Be("Unknown");
            condition.Str("reason").Should().Be("NodeStatusUnknown");
            condition.Str("message").Should().Be("Kubelet stopped posting node status.");
            condition.Str("lastHeartbeatTime").Should().Be("2026-01-01T11:59:20Z");
            condition.Str("lastTransitionTime").Should().Be(Stamp(T0));
        }
    }

    [Fact]
    public void Apply_AlreadyUnknown_IsNull()
    {
        var node = Node();
        node["status"]!["conditions"] = NodeConditionsUnknown.Apply(node, T0);

        NodeConditionsUnknown.Apply(node, T0.AddMinutes(1)).Should().BeNull();
    }

    [Fact]
    public void Apply_NeverPosted_AddsNeverUpdatedConditionsAndKeepsOthers()
    {
        var node = Node();
        node["status"]!["conditions"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "NetworkUnavailable", ["status"] = "False" });

        var conditions = NodeConditionsUnknown.Apply(node, T0)!.OfType<JsonObject>().ToList();

        conditions.Select(c => c.Str("type")).Should().BeEquivalentTo(["NetworkUnavailable", "Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]);
        conditions.Single(c => c.Str("type") == "NetworkUnavailable").Str("status").Should().Be("False");
        var ready = conditions.Single(c => c.Str("type") == "Ready");
        ready.Str("reason").Should().Be("NodeStatusNeverUpdated");
        ready.Str("lastHeartbeatTime").Should().Be("2026-01-01T10:00:00Z");
    }
}
