using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.DaemonSets;

namespace K3sLab.Lab.Tests.Controllers.DaemonSets;

/// <summary>The daemonset controller's pure decisions: which nodes get pods, rolling updates, revisions and status.</summary>
[Trait("Category", "Unit")]
public sealed class DaemonSetPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_NoPods_CreatesOnePodPerEligibleNode()
    {
        var ds = DaemonSet();
        var plan = DaemonSetPlanner.Plan(ds, [Node("a"), Node("b"), Node("c", taint: ("dedicated", "NoSchedule"))], [], [], Now);

        plan.CreateOnNodes.Should().Equal("a", "b");
        plan.DeletePods.Should().BeEmpty();
        plan.RevisionToCreate.Should().NotBeNull();
        plan.RevisionToCreate!["revision"]!.GetValue<long>().Should().Be(1);
        plan.Status["desiredNumberScheduled"]!.GetValue<int>().Should().Be(2);
        plan.Status["currentNumberScheduled"]!.GetValue<int>().Should().Be(0);
        plan.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void Plan_NodeSelectorAndAffinity_OnlyMatchingNodes()
    {
        var ds = DaemonSet();
        ds["spec"]!["template"]!["spec"]!["nodeSelector"] = new JsonObject { ["disk"] = "ssd" };
        var matching = Node("a", labels: new() { ["disk"] = "ssd" });
        var other = Node("b");

        DaemonSetPlanner.Plan(ds, [matching, other], [], [], Now).CreateOnNodes.Should().Equal("a");
    }

    [Fact]
    public void Plan_NotReadyAndUnschedulableTaints_AreToleratedAutomatically()
    {
        var ds = DaemonSet();
        var nodes = new[] { Node("a", taint: ("node.kubernetes.io/not-ready", "NoExecute")), Node("b", taint: ("node.kubernetes.io/unschedulable", "NoSchedule")) };

        DaemonSetPlanner.Plan(ds, nodes, [], [], Now).CreateOnNodes.Should().Equal("a", "b");
    }

    [Fact]
    public void Plan_PodOnGoneOrNoExecuteNode_IsDeleted()
    {
        var ds = DaemonSet();
        var hash = Hash(ds);
        var pods = new[] { Pod(ds, "p-gone", "gone", hash), Pod(ds, "p-tainted", "t", hash) };

        var plan = DaemonSetPlanner.Plan(ds, [Node("t", taint: ("evict", "NoExecute"))], pods, [], Now);

        plan.DeletePods.Should().BeEquivalentTo("p-gone", "p-tainted");
        plan.CreateOnNodes.Should().BeEmpty();
    }

    [Fact]
    public void Plan_NoScheduleTaintAddedLater_LetsTheRunningPodStayAsMisscheduled()
    {
        var ds = DaemonSet();
        var plan = DaemonSetPlanner.Plan(ds, [Node("a", taint: ("dedicated", "NoSchedule"))], [Pod(ds, "p", "a", Hash(ds), ready: true)], [], Now);

        plan.DeletePods.Should().BeEmpty();
        plan.Status["numberMisscheduled"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public void Plan_DuplicatePodsOnANode_KeepsTheOldest()
    {
        var ds = DaemonSet();
        var hash = Hash(ds);
        var old = Pod(ds, "old", "a", hash, created: Now.AddMinutes(-5));
        var young = Pod(ds, "young", "a", hash, created: Now.AddMinutes(-1));

        DaemonSetPlanner.Plan(ds, [Node("a")], [young, old], [], Now).DeletePods.Should().Equal("young");
    }

    [Fact]
    public void Plan_FailedPod_IsReplaced()
    {
        var ds = DaemonSet();
        var failed = Pod(ds, "failed", "a", Hash(ds), phase: "Failed");

        var plan = DaemonSetPlanner.Plan(ds, [Node("a")], [failed], [], Now);

        plan.DeletePods.Should().Equal("failed");
        plan.CreateOnNodes.Should().Equal("a");
    }

    [Fact]
    public void Plan_RollingUpdateWithMaxUnavailableOne_ReplacesOneAvailableOldPodAtATime()
    {
        var ds = DaemonSet();
        var pods = new[] { Pod(ds, "pa", "a", "oldhash", ready: true), Pod(ds, "pb", "b", "oldhash", ready: true), Pod(ds, "pc", "c", "oldhash", ready: true) };

        var plan = DaemonSetPlanner.Plan(ds, [Node("a"), Node("b"), Node("c")], pods, [], Now);

        plan.DeletePods.Should().Equal("pa");
        plan.CreateOnNodes.Should().BeEmpty();
        plan.Status["updatedNumberScheduled"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public void Plan_RollingUpdateWhileANewPodIsNotReady_WaitsForIt()
    {
        var ds = DaemonSet();
        var pods = new[] { Pod(ds, "pa", "a", Hash(ds), ready: false), Pod(ds, "pb", "b", "oldhash", ready: true) };

        DaemonSetPlanner.Plan(ds, [Node("a"), Node("b")], pods, [], Now).DeletePods.Should().BeEmpty();
    }

    [Fact]
    public void Plan_OnDelete_LeavesOldPodsAlone()
    {
        var ds = DaemonSet();
        ds["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "OnDelete" };
        var pods = new[] { Pod(ds, "pa", "a", "oldhash", ready: true) };

        var plan = DaemonSetPlanner.Plan(ds, [Node("a")], pods, [], Now);

        plan.DeletePods.Should().BeEmpty();
        plan.CreateOnNodes.Should().BeEmpty();
    }

    [Fact]
    public void Plan_MaxSurge_StartsTheNewPodBesideTheOldAndRemovesTheOldOnceAvailable()
    {
        var ds = DaemonSet();
        ds["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 1, ["maxUnavailable"] = 0 } };
        var old = Pod(ds, "old", "a", "oldhash", ready: true, created: Now.AddMinutes(-5));

        DaemonSetPlanner.Plan(ds, [Node("a")], [old], [], Now).CreateOnNodes.Should().Equal("a");

        var fresh = Pod(ds, "new", "a", Hash(ds), ready: true, created: Now.AddMinutes(-1));
        var plan = DaemonSetPlanner.Plan(ds, [Node("a")], [old, fresh], [], Now);
        plan.DeletePods.Should().Equal("old");
        plan.CreateOnNodes.Should().BeEmpty();
    }

    [Fact]
    public void Plan_AllPodsCurrentAndReady_ReportsARolledOutStatus()
    {
        var ds = DaemonSet();
        var hash = Hash(ds);
        var plan = DaemonSetPlanner.Plan(ds, [Node("a"), Node("b")], [Pod(ds, "pa", "a", hash, ready: true), Pod(ds, "pb", "b", hash, ready: true)], [], Now);

        plan.CreateOnNodes.Should().BeEmpty();
        plan.DeletePods.Should().BeEmpty();
        plan.Status.ToJsonString().Should().Be("""{"currentNumberScheduled":2,"numberMisscheduled":0,"desiredNumberScheduled":2,"numberReady":2,"observedGeneration":3,"updatedNumberScheduled":2,"numberAvailable":2}""");
    }

    [Fact]
    public void Plan_MinReadySeconds_CountsAvailableOnlyAfterItAndRequeuesThen()
    {
        var ds = DaemonSet();
        ds["spec"]!["minReadySeconds"] = 30;
        var pod = Pod(ds, "pa", "a", Hash(ds), ready: true, readySince: Now.AddSeconds(-10));

        var plan = DaemonSetPlanner.Plan(ds, [Node("a")], [pod], [], Now);

        plan.Status["numberAvailable"]!.GetValue<int>().Should().Be(0);
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(21));
    }

    [Fact]
    public void Plan_TemplateChangedBackToAnOldRevision_RenumbersItAndPrunesBeyondTheHistoryLimit()
    {
        var ds = DaemonSet();
        ds["spec"]!["revisionHistoryLimit"] = 1;
        var hash = Hash(ds);
        var current = Revisions.New(ds, "apps/v1", "DaemonSet", ds["spec"]!["template"] as JsonObject, hash, 1);
        var older = Revisions.New(ds, "apps/v1", "DaemonSet", null, "aaaa", 2);
        var oldest = Revisions.New(ds, "apps/v1", "DaemonSet", null, "bbbb", 3);
        foreach (var r in new[] { current, older, oldest })
        {
            r["metadata"]!["uid"] = Guid.NewGuid().ToString();
        }

        var plan = DaemonSetPlanner.Plan(ds, [], [], [current, older, oldest], Now);

        plan.RevisionToCreate.Should().BeNull();
        plan.RevisionToRenumber.Should().Be(($"ds-{hash}", 4L));
        plan.RevisionsToDelete.Should().Equal("ds-aaaa");
    }

    [Fact]
    public void NewPod_IsBoundToItsNodeWithTheHashAndTolerations()
    {
        var ds = DaemonSet();
        var pod = DaemonSetPlanner.NewPod(ds, "a", "h1");

        pod["spec"]!["nodeName"]!.GetValue<string>().Should().Be("a");
        pod["metadata"]!["labels"]![Revisions.HashLabel]!.GetValue<string>().Should().Be("h1");
        pod["metadata"]!["labels"]!["pod-template-generation"]!.GetValue<string>().Should().Be("3");
        pod["metadata"]!["generateName"]!.GetValue<string>().Should().Be("ds-");
        pod["spec"]!["tolerations"]!.AsArray().Should().HaveCount(6);
        pod["spec"]!["affinity"]!["nodeAffinity"]!["requiredDuringSchedulingIgnoredDuringExecution"]!["nodeSelectorTerms"]![0]!["matchFields"]![0]!["values"]![0]!.GetValue<string>().Should().Be("a");
    }

    [Theory]
    [InlineData("Equal", "k", "v", "NoSchedule", true)]
    [InlineData("Equal", "k", "other", "NoSchedule", false)]
    [InlineData("Exists", "k", null, null, true)]
    [InlineData("Exists", null, null, null, true)]
    [InlineData("Exists", "k", null, "NoExecute", false)]
    public void Tolerates_UpstreamRules(string op, string? key, string? value, string? effect, bool expected)
    {
        var toleration = new JsonObject { ["operator"] = op, ["key"] = key, ["value"] = value, ["effect"] = effect };
        var taint = new JsonObject { ["key"] = "k", ["value"] = "v", ["effect"] = "NoSchedule" };

        DaemonNodes.Tolerates(toleration, taint).Should().Be(expected);
    }

    private static string Hash(JsonObject ds) => Revisions.Hash(ds["spec"]!["template"], 0);

    private static JsonObject DaemonSet() => JsonNode.Parse("""
        {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"ds","namespace":"default","uid":"ds-uid","generation":3},
         "spec":{"selector":{"matchLabels":{"app":"d"}},"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}},
                 "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"pause"}]}}}}
        """)!.AsObject();

    private static JsonObject Node(string name, Dictionary<string, string>? labels = null, (string Key, string Effect)? taint = null)
    {
        var node = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject() }, ["spec"] = new JsonObject() };
        foreach (var (k, v) in labels ?? [])
        {
            node["metadata"]!["labels"]![k] = v;
        }

        if (taint is { } t)
        {
            node["spec"]!["taints"] = new JsonArray(new JsonObject { ["key"] = t.Key, ["effect"] = t.Effect });
        }

        return node;
    }

    private static JsonObject Pod(JsonObject ds, string name, string node, string hash, bool ready = false, string phase = "Running", DateTimeOffset? created = null, DateTimeOffset? readySince = null)
    {
        var pod = DaemonSetPlanner.NewPod(ds, node, hash);
        pod["metadata"]!["name"] = name;
        pod["metadata"]!["uid"] = name + "-uid";
        pod["metadata"]!["creationTimestamp"] = PodState.Stamp(created ?? Now.AddMinutes(-10));
        pod["status"] = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = PodState.Stamp(readySince ?? Now.AddMinutes(-5)) }),
        };
        return pod;
    }
}
