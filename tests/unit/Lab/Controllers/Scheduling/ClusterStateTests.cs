using K3sLab.K3s.Controllers.Scheduling;
using static K3sLab.Lab.Tests.Controllers.Scheduling.SchedulingFixtures;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class ClusterStateTests
{
    [Fact]
    public void Assume_ThenCacheShowsTheBinding_ConfirmsWithoutCountingTwice()
    {
        var state = State(Node("a"));
        state.Assume(Pod("p", cpu: "1"), "a");

        state.ObservePod(Pod("p", cpu: "1", node: "a")).Should().BeFalse();

        state.IsAssumed("default/p").Should().BeFalse();
        state.Usage("a").Requested.MilliCpu.Should().Be(1000);
        state.Usage("a").PodCount.Should().Be(1);
    }

    [Fact]
    public void Forget_DropsOnlyAssumptions()
    {
        var state = State(Node("a"));
        state.Assume(Pod("p", cpu: "1"), "a");
        state.ObservePod(Pod("q", cpu: "1", node: "a"));

        state.Forget("default/p");
        state.Forget("default/q");

        state.Usage("a").Requested.MilliCpu.Should().Be(1000);
        state.NodeOf("default/q").Should().Be("a");
        state.NodeOf("default/p").Should().BeNull();
    }

    [Fact]
    public void ObservePod_PendingPod_LeavesTheAssumption()
    {
        var state = State(Node("a"));
        state.Assume(Pod("p", cpu: "1"), "a");

        state.ObservePod(Pod("p", cpu: "1"));

        state.IsAssumed("default/p").Should().BeTrue();
    }

    [Fact]
    public void SetNode_HeartbeatOnly_IsNotAChangeWorthARetry()
    {
        var state = new ClusterState();
        state.SetNode(Node("a")).Should().BeTrue("a new node may fit waiting pods");

        state.SetNode(Node("a")).Should().BeFalse();
        state.SetNode(Node("a", cpu: "8")).Should().BeTrue();
        state.SetNode(Node("a", cpu: "8", unschedulable: true)).Should().BeTrue();
    }

    [Fact]
    public void RemovePod_FreesItsPorts()
    {
        var state = State(Node("a"));
        var port = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["containerPort"] = 80, ["hostPort"] = 80 });
        var holder = PodWith("holder", spec => spec["containers"]![0]!["ports"] = port.DeepClone(), node: "a");
        state.ObservePod(holder);

        state.Usage("a").PortsConflict(holder.Ports).Should().BeTrue();
        state.RemovePod("default/holder").Should().BeTrue();
        state.Usage("a").PortsConflict(holder.Ports).Should().BeFalse();
    }
}
