using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.NodeLifecycle;
using static K3sLab.Lab.Tests.Controllers.NodeLifecycle.NodeJson;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

[Trait("Category", "Unit")]
public sealed class PodGarbageTests
{
    private const string Deleting = ""","deletionTimestamp":"2026-01-01T11:00:00Z" """;
    private const string OutOfService = """[{"key":"node.kubernetes.io/out-of-service","value":"nodeshutdown","effect":"NoExecute"}]""";

    [Fact]
    public void OrphanedByMissingNode_PodsOfThatNodeOnly()
    {
        PodGarbage.OrphanedByMissingNode(Pod("[]"), "n1").Should().BeTrue();
        PodGarbage.OrphanedByMissingNode(Pod("[]", node: "n2"), "n1").Should().BeFalse();
    }

    [Fact]
    public void StuckOnOutOfServiceNode_TerminatingOnTaintedNotReadyNode_IsCollected()
    {
        PodGarbage.StuckOnOutOfServiceNode(Pod("[]", extraMetadata: Deleting), Node(ready: "Unknown", taints: OutOfService)).Should().BeTrue();
    }

    [Fact]
    public void StuckOnOutOfServiceNode_ReadyNodeOrNoTaintOrNotTerminating_IsLeft()
    {
        PodGarbage.StuckOnOutOfServiceNode(Pod("[]", extraMetadata: Deleting), Node(taints: OutOfService)).Should().BeFalse();
        PodGarbage.StuckOnOutOfServiceNode(Pod("[]", extraMetadata: Deleting), Node(ready: "Unknown")).Should().BeFalse();
        PodGarbage.StuckOnOutOfServiceNode(Pod("[]"), Node(ready: "Unknown", taints: OutOfService)).Should().BeFalse();
    }

    [Fact]
    public void Mark_ReadyPod_ReadyFalseSinceNow()
    {
        var marked = PodsNotReady.Mark(Pod("[]"), T0)!;

        PodState.Condition(marked, "Ready").Str("status").Should().Be("False");
        PodState.Condition(marked, "Ready").Str("lastTransitionTime").Should().Be(Stamp(T0));
        PodsNotReady.Mark(marked, T0).Should().BeNull();
    }

    [Fact]
    public void Mark_PodWithoutConditions_IsNull()
    {
        var pod = Pod("[]");
        pod["status"] = new JsonObject();

        PodsNotReady.Mark(pod, T0).Should().BeNull();
    }
}
