using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.NodeLifecycle;
using static K3sLab.Lab.Tests.Controllers.NodeLifecycle.NodeJson;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

[Trait("Category", "Unit")]
public sealed class NodeTaintsTests
{
    private static List<string> Names(JsonArray taints) => [.. taints.OfType<JsonObject>().Select(t => $"{t.Str("key")}:{t.Str("effect")}")];

    [Fact]
    public void Reconcile_ReadyUnknown_AddsUnreachableNoExecuteWithTimeAndNoSchedule()
    {
        var taints = NodeTaints.Reconcile(Node(ready: "Unknown"), T0)!;

        Names(taints).Should().BeEquivalentTo(["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]);
        taints.OfType<JsonObject>().Single(t => t.Str("effect") == "NoExecute").Str("timeAdded").Should().Be(Stamp(T0));
        taints.OfType<JsonObject>().Single(t => t.Str("effect") == "NoSchedule").Has("timeAdded").Should().BeFalse();
    }

    [Fact]
    public void Reconcile_ReadyFalse_SwapsUnreachableForNotReady()
    {
        var node = Node(ready: "False", taints: """[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"2026-01-01T11:00:00Z"},{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"}]""");

        Names(NodeTaints.Reconcile(node, T0)!).Should().BeEquivalentTo(["node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"]);
    }

    [Fact]
    public void Reconcile_ReadyAgain_RemovesOwnedTaintsAndKeepsOthers()
    {
        var node = Node(taints: """[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"2026-01-01T11:00:00Z"},{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"},{"key":"dedicated","value":"gpu","effect":"NoSchedule"},{"key":"node.kubernetes.io/out-of-service","effect":"NoExecute"}]""");

        Names(NodeTaints.Reconcile(node, T0)!).Should().Equal("dedicated:NoSchedule", "node.kubernetes.io/out-of-service:NoExecute");
    }

    [Fact]
    public void Reconcile_TaintsAlreadyRight_IsNullAndTimeAddedIsKept()
    {
        var node = Node(ready: "Unknown", taints: """[{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"2026-01-01T11:00:00Z"},{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"}]""");

        NodeTaints.Reconcile(node, T0).Should().BeNull();
        NodeTaints.Reconcile(Node(), T0).Should().BeNull();
    }

    [Fact]
    public void Reconcile_PressureAndCordon_AddNoScheduleTaints()
    {
        Names(NodeTaints.Reconcile(Node(unschedulable: true, memory: "True"), T0)!)
            .Should().BeEquivalentTo(["node.kubernetes.io/unschedulable:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule"]);
    }

    [Fact]
    public void Reconcile_NoReadyCondition_LeavesNoExecuteTaintsAlone()
    {
        var node = Node(taints: """[{"key":"node.kubernetes.io/not-ready","effect":"NoExecute"}]""");
        node["status"] = new JsonObject();

        NodeTaints.Reconcile(node, T0).Should().BeNull();
    }
}
