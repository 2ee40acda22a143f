using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;
using static K3sLab.Lab.Tests.Controllers.Scheduling.SchedulingFixtures;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class PodPlacementTests
{
    [Fact]
    public void Decide_CordonedNode_IsSkippedUnlessTheUnschedulableTaintIsTolerated()
    {
        var state = State(Node("a", unschedulable: true), Node("b", cpu: "1"));
        var tolerant = PodWith("t", spec => spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = "node.kubernetes.io/unschedulable", ["operator"] = "Exists", ["effect"] = "NoSchedule" }), cpu: "2");

        PodPlacement.Decide(Pod("p"), state).Node.Should().Be("b");
        PodPlacement.Decide(Pod("p", cpu: "2"), state).Reasons["a"].Should().Equal("node(s) were unschedulable");
        PodPlacement.Decide(tolerant, state).Node.Should().Be("a");
    }

    [Theory]
    [InlineData("False", "node.kubernetes.io/not-ready")]
    [InlineData("", "node.kubernetes.io/not-ready")]
    [InlineData("Unknown", "node.kubernetes.io/unreachable")]
    public void Decide_NodeNotReady_FailsAsTheLifecycleTaintWould(string ready, string taint)
    {
        var state = State(Node("a", ready: ready));

        var placement = PodPlacement.Decide(Pod("p"), state);

        placement.Node.Should().BeNull();
        placement.Reasons["a"].Should().Equal($"node(s) had untolerated taint {{{taint}: }}");
    }

    [Fact]
    public void Decide_NotReadyNodeTolerated_TakesThePod()
    {
        var state = State(Node("a", ready: "False"));
        var pod = PodWith("p", spec => spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists" }));

        PodPlacement.Decide(pod, state).Node.Should().Be("a");
    }

    [Fact]
    public void Decide_NoExecuteTaint_MustBeTolerated_PreferNoScheduleOnlyScores()
    {
        var state = State(
            Node("a", taints: [Taint("dedicated", "db", "NoExecute")]),
            Node("b", taints: [Taint("soft", string.Empty, "PreferNoSchedule")]),
            Node("c", taints: [Taint("soft", string.Empty, "PreferNoSchedule"), Taint("soft2", string.Empty, "PreferNoSchedule")]));

        var placement = PodPlacement.Decide(Pod("p"), state);

        placement.Node.Should().Be("b");
        placement.Reasons.Keys.Should().Equal("a");
        placement.Reasons["a"].Should().Equal("node(s) had untolerated taint {dedicated: db}");
    }

    [Fact]
    public void Decide_NodeSelector_PicksTheMatchingNode()
    {
        var state = State(Node("a"), Node("b", labels: new JsonObject { ["disk"] = "ssd" }));
        var pod = PodWith("p", spec => spec["nodeSelector"] = new JsonObject { ["disk"] = "ssd" });

        var placement = PodPlacement.Decide(pod, state);

        placement.Node.Should().Be("b");
        placement.Reasons["a"].Should().Equal("node(s) didn't match Pod's node affinity/selector");
    }

    [Fact]
    public void Decide_Resources_CountBoundAndAssumedPods()
    {
        var state = State(Node("a", cpu: "1", memory: "1Gi"));
        state.ObservePod(Pod("running", cpu: "600m", memory: "512Mi", node: "a"));
        state.Assume(Pod("assumed", cpu: "300m", memory: "256Mi"), "a");

        PodPlacement.Decide(Pod("fits", cpu: "100m", memory: "256Mi"), state).Node.Should().Be("a");
        PodPlacement.Decide(Pod("cpu", cpu: "200m"), state).Reasons["a"].Should().Equal("Insufficient cpu");
        PodPlacement.Decide(Pod("both", cpu: "200m", memory: "300Mi"), state).Reasons["a"].Should().Equal("Insufficient cpu", "Insufficient memory");
    }

    [Fact]
    public void Decide_TerminatedPods_HoldNothing()
    {
        var state = State(Node("a", cpu: "1"));
        state.ObservePod(Pod("job", cpu: "1", node: "a"));
        var finished = PodObject("job", cpu: "1", node: "a");
        finished["status"]!["phase"] = "Succeeded";

        PodPlacement.Decide(Pod("p", cpu: "1"), state).Node.Should().BeNull();
        state.ObservePod(SchedulingPod.From(finished)).Should().BeTrue("finishing frees room");
        PodPlacement.Decide(Pod("p", cpu: "1"), state).Node.Should().Be("a");
    }

    [Fact]
    public void Decide_PodCount_IsLimitedByAllocatablePods()
    {
        var state = State(Node("a", pods: "1"));
        state.ObservePod(Pod("x", node: "a"));

        PodPlacement.Decide(Pod("p"), state).Reasons["a"].Should().Equal("Too many pods");
    }

    [Theory]
    [InlineData("", "TCP", "", "TCP", true)]
    [InlineData("", "TCP", "", "UDP", false)]
    [InlineData("10.0.0.1", "TCP", "10.0.0.2", "TCP", false)]
    [InlineData("10.0.0.1", "TCP", "10.0.0.1", "TCP", true)]
    [InlineData("10.0.0.1", "TCP", "", "TCP", true)]
    [InlineData("", "TCP", "10.0.0.1", "TCP", true)]
    public void Decide_HostPorts_ConflictByProtocolPortAndIp(string usedIp, string usedProtocol, string askedIp, string askedProtocol, bool conflict)
    {
        var state = State(Node("a"));
        state.ObservePod(PodWith("used", spec => spec["containers"]![0]!["ports"] = Port(usedIp, usedProtocol), node: "a"));
        var pod = PodWith("p", spec => spec["containers"]![0]!["ports"] = Port(askedIp, askedProtocol));

        var placement = PodPlacement.Decide(pod, state);

        placement.Scheduled.Should().Be(!conflict);
        if (conflict)
        {
            placement.Reasons["a"].Should().Equal("node(s) didn't have free ports for the requested pod ports");
        }
    }

    [Fact]
    public void Decide_RequiredAntiAffinity_KeepsReplicasOnDifferentHosts()
    {
        var state = State(Node("a"), Node("b"));
        var web = new JsonObject { ["app"] = "web" };
        state.ObservePod(Pod("web-1", node: "a", labels: web));
        var second = PodWith("web-2", spec => spec["affinity"] = AntiAffinity("web"), labels: new JsonObject { ["app"] = "web" });

        PodPlacement.Decide(second, state).Node.Should().Be("b");
        state.Assume(second, "b");
        var third = PodWith("web-3", spec => spec["affinity"] = AntiAffinity("web"), labels: new JsonObject { ["app"] = "web" });
        var placement = PodPlacement.Decide(third, state);

        placement.Node.Should().BeNull();
        placement.Message.Should().Be("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    }

    [Fact]
    public void Decide_ExistingPodsAntiAffinity_RepelsTheIncomingPod()
    {
        var state = State(Node("a"), Node("b"));
        state.ObservePod(PodWith("guard", spec => spec["affinity"] = AntiAffinity("db"), node: "a"));

        var placement = PodPlacement.Decide(Pod("db", labels: new JsonObject { ["app"] = "db" }), state);

        placement.Node.Should().Be("b");
        placement.Reasons["a"].Should().Equal("node(s) didn't satisfy existing pods anti-affinity rules");
    }

    [Fact]
    public void Decide_AntiAffinityInOtherNamespace_DoesNotApply()
    {
        var state = State(Node("a"));
        state.ObservePod(SchedulingPod.From(PodObject("web-1", node: "a", ns: "other", labels: new JsonObject { ["app"] = "web" })));

        PodPlacement.Decide(PodWith("web-2", spec => spec["affinity"] = AntiAffinity("web")), state).Node.Should().Be("a");
    }

    [Fact]
    public void Decide_ThirtyReplicasOnThreeEqualNodes_SpreadTenEach()
    {
        var state = State(Node("a"), Node("b"), Node("c"));
        for (var i = 0; i < 30; i++)
        {
            var pod = Pod($"web-{i}", cpu: "10m", memory: "10Mi", controllerUid: "rs-1");
            var placement = PodPlacement.Decide(pod, state);
            state.Assume(pod, placement.Node!);
        }

        new[] { "a", "b", "c" }.Select(n => state.Usage(n).ControllerCount("rs-1")).Should().Equal(10, 10, 10);
    }

    [Fact]
    public void Decide_LeastAllocated_PrefersTheEmptierNode()
    {
        var state = State(Node("a"), Node("b"));
        state.ObservePod(Pod("busy", cpu: "3", memory: "6Gi", node: "a"));

        PodPlacement.Decide(Pod("p", cpu: "100m"), state).Node.Should().Be("b");
    }

    [Fact]
    public void Decide_SameInput_SameNode()
    {
        var nodes = Enumerable.Range(0, 10).Select(i => Node($"n{i}")).ToArray();

        var first = PodPlacement.Decide(Pod("p"), State(nodes)).Node;

        PodPlacement.Decide(Pod("p"), State(nodes)).Node.Should().Be(first);
        Enumerable.Range(0, 20).Select(i => PodPlacement.Decide(Pod($"q{i}"), State(nodes)).Node).Distinct().Count().Should().BeGreaterThan(1, "ties are broken per pod, not always towards the same node");
    }

    [Fact]
    public void LeastAllocated_CountsDefaultsForPodsWithoutRequests()
    {
        var node = Node("a", cpu: "1", memory: "1000Mi");

        PodPlacement.LeastAllocated(Pod("p"), node, new NodeUsage()).Should().Be((90 + 80) / 2);
    }

    private static JsonArray Port(string ip, string protocol)
    {
        var port = new JsonObject { ["containerPort"] = 80, ["hostPort"] = 8080, ["protocol"] = protocol };
        if (ip.Length > 0)
        {
            port["hostIP"] = ip;
        }

        return [port];
    }

    private static JsonObject AntiAffinity(string app) => new()
    {
        ["podAntiAffinity"] = new JsonObject
        {
            ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
            {
                ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } },
                ["topologyKey"] = "kubernetes.io/hostname",
            }),
        },
    };
}
