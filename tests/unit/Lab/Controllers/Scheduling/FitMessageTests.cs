using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;
using static K3sLab.Lab.Tests.Controllers.Scheduling.SchedulingFixtures;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

/// <summary>Golden FailedScheduling messages, as kube-scheduler writes them.</summary>
[Trait("Category", "Unit")]
public sealed class FitMessageTests
{
    [Fact]
    public void Decide_NoNodes_SaysSo()
    {
        PodPlacement.Decide(Pod("p"), new ClusterState()).Message.Should().Be("no nodes available to schedule pods");
    }

    [Fact]
    public void Decide_TaintAndCpu_ReadsAsUpstream()
    {
        var state = State(Node("a", ready: "Unknown"), Node("b", cpu: "1"), Node("c", cpu: "1"));

        PodPlacement.Decide(Pod("p", cpu: "2"), state).Message.Should().Be(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. "
            + "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.");
    }

    [Fact]
    public void Decide_Histogram_IsSortedAsStrings()
    {
        var nodes = Enumerable.Range(0, 10).Select(i => Node($"small{i}", memory: "1Gi"))
            .Append(Node("cordoned1", unschedulable: true)).Append(Node("cordoned2", unschedulable: true)).ToArray();

        PodPlacement.Decide(Pod("p", memory: "2Gi"), State(nodes)).Message.Should().Be(
            "0/12 nodes are available: 10 Insufficient memory, 2 node(s) were unschedulable. "
            + "preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.");
    }

    [Fact]
    public void Decide_SeveralResourceReasonsOnOneNode_CountEach()
    {
        var state = State(Node("a", cpu: "1", memory: "1Gi", pods: "1"));
        state.ObservePod(Pod("x", node: "a"));

        PodPlacement.Decide(Pod("p", cpu: "2", memory: "2Gi"), state).Message.Should().Be(
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods. "
            + "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    }

    [Fact]
    public void Decide_PreemptionPolicyNever_SaysNotEligible()
    {
        var pod = PodWith("p", spec =>
        {
            spec["preemptionPolicy"] = "Never";
            spec["nodeSelector"] = new JsonObject { ["disk"] = "ssd" };
        });

        PodPlacement.Decide(pod, State(Node("a"))).Message.Should().Be(
            "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: not eligible due to preemptionPolicy=Never.");
    }

    [Fact]
    public void Decide_LowerPriorityVictimsNotEnough_ReportsWhatStillFails()
    {
        var state = State(Node("a", cpu: "2"));
        state.ObservePod(Pod("low", cpu: "1", node: "a", priority: 0));
        state.ObservePod(Pod("high", cpu: "1", node: "a", priority: 100));

        PodPlacement.Decide(Pod("p", cpu: "1500m", priority: 50), state).Message.Should().Be(
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.");
    }

    [Fact]
    public void Decide_PreemptionWouldMakeRoom_AddsNoPreemptionPart()
    {
        var state = State(Node("a", cpu: "1"));
        state.ObservePod(Pod("low", cpu: "1", node: "a", priority: 0));

        PodPlacement.Decide(Pod("p", cpu: "1", priority: 10), state).Message.Should().Be("0/1 nodes are available: 1 Insufficient cpu.");
    }

    [Fact]
    public void Format_NoReasons_KeepsTheColon()
    {
        FitMessage.Format(0, [], null).Should().Be("0/0 nodes are available:");
    }
}
