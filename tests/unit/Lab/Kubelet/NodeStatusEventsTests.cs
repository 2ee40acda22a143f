using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Node;

namespace K3sLab.Lab.Tests.Kubelet;

public sealed class NodeStatusEventsTests
{
    [Fact]
    public void Changed_NewNode_RecordsEveryConditionInOrder()
    {
        NodeStatusEvents.Changed(null, Conditions("False", "False", "False", "True"))
            .Should().Equal("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady");
    }

    [Fact]
    public void Changed_SameStatuses_RecordsNothing()
    {
        NodeStatusEvents.Changed(Conditions("False", "False", "False", "True"), Conditions("False", "False", "False", "True")).Should().BeEmpty();
    }

    [Fact]
    public void Changed_MarkedUnknownByTheLifecycleController_RecordsThemAgain()
    {
        NodeStatusEvents.Changed(Conditions("Unknown", "Unknown", "Unknown", "Unknown"), Conditions("False", "False", "False", "True"))
            .Should().Equal("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady");
    }

    [Fact]
    public void Changed_PressureAppears_RecordsItsOpposite()
    {
        NodeStatusEvents.Changed(Conditions("False", "False", "False", "True"), Conditions("True", "False", "True", "False"))
            .Should().Equal("NodeHasInsufficientMemory", "NodeHasInsufficientPID", "NodeNotReady");
    }

    [Fact]
    public void Message_IsTheKubeletsWording()
    {
        NodeStatusEvents.Message("agent-1", "NodeReady").Should().Be("Node agent-1 status is now: NodeReady");
    }

    private static JsonArray Conditions(string memory, string disk, string pid, string ready) =>
    [
        (JsonNode)new JsonObject { ["type"] = "MemoryPressure", ["status"] = memory },
        (JsonNode)new JsonObject { ["type"] = "DiskPressure", ["status"] = disk },
        (JsonNode)new JsonObject { ["type"] = "PIDPressure", ["status"] = pid },
        (JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = ready },
    ];
}
