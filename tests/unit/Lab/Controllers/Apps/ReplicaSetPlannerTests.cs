using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.Apps;

namespace K3sLab.Lab.Tests.Controllers.Apps;

[Trait("Category", "Unit")]
public sealed class ReplicaSetPlannerTests
{
    [Fact]
    public void Plan_TooFewPods_CreatesTheDifference()
    {
        var decision = ReplicaSetPlanner.Plan(5, [AppsObjects.Pod("a"), AppsObjects.Pod("b")]);

        decision.Create.Should().Be(3);
        decision.Delete.Should().BeEmpty();
    }

    [Fact]
    public void Plan_AsManyPodsAsReplicas_DoesNothing()
    {
        ReplicaSetPlanner.Plan(1, [AppsObjects.Pod("a")]).Should().Be(ReplicaSetDecision.None);
    }

    [Fact]
    public void Plan_ThousandsMissing_CreatesAtMostABurst()
    {
        ReplicaSetPlanner.Plan(2000, []).Create.Should().Be(ReplicaSetPlanner.BurstReplicas);
    }

    [Fact]
    public void Plan_TooManyPods_DeletesInUpstreamRankOrder()
    {
        var t = AppsObjects.Epoch;
        JsonObject[] pods =
        [
            AppsObjects.Pod("ready-long-ago", readySince: t),
            AppsObjects.Pod("ready-recently", readySince: t.AddMinutes(10)),
            AppsObjects.Pod("running-not-ready", ready: false),
            AppsObjects.Pod("unknown", phase: "Unknown", ready: false),
            AppsObjects.Pod("pending-assigned", phase: "Pending", ready: null),
            AppsObjects.Pod("unassigned", phase: "Pending", node: string.Empty, ready: null),
        ];

        var decision = ReplicaSetPlanner.Plan(1, pods);

        decision.Create.Should().Be(0);
        decision.Delete.Select(ObjectKeys.Name).Should().Equal("unassigned", "pending-assigned", "unknown", "running-not-ready", "ready-recently");
    }

    [Fact]
    public void Plan_SameStateOtherwise_DeletesMoreRestartsThenNewerFirst()
    {
        var t = AppsObjects.Epoch;
        JsonObject[] pods =
        [
            AppsObjects.Pod("old", created: t),
            AppsObjects.Pod("new", created: t.AddMinutes(1)),
            AppsObjects.Pod("crashy", restarts: 4, created: t),
        ];

        ReplicaSetPlanner.Plan(0, pods).Delete.Select(ObjectKeys.Name).Should().Equal("crashy", "new", "old");
    }

    [Fact]
    public void SlowStartBatches_TenCreations_DoublesFromOne()
    {
        ReplicaSetPlanner.SlowStartBatches(10).Should().Equal(1, 2, 4, 3);
        ReplicaSetPlanner.SlowStartBatches(0).Should().BeEmpty();
    }

    [Fact]
    public void Compute_MinReadySeconds_CountsOnlyPodsReadyLongEnough()
    {
        var now = AppsObjects.Epoch.AddSeconds(100);
        var set = ReplicaSet(minReadySeconds: 30);
        JsonObject[] pods = [AppsObjects.Pod("a", readySince: now.AddSeconds(-60)), AppsObjects.Pod("b", readySince: now.AddSeconds(-10)), AppsObjects.Pod("c", ready: false)];

        var status = ReplicaSetStatus.Compute(set, pods, null, now);

        status["replicas"]!.GetValue<int>().Should().Be(3);
        status["readyReplicas"]!.GetValue<int>().Should().Be(2);
        status["availableReplicas"]!.GetValue<int>().Should().Be(1);
        status["observedGeneration"]!.GetValue<long>().Should().Be(4);
        ReplicaSetStatus.NextAvailabilityCheck(pods, 30, now).Should().Be(TimeSpan.FromSeconds(21));
    }

    [Fact]
    public void Compute_FailedCreate_SetsReplicaFailureUntilASyncSucceeds()
    {
        var set = ReplicaSet(minReadySeconds: 0);

        var failing = ReplicaSetStatus.Compute(set, [], ("FailedCreate", "pods \"x\" is forbidden: exceeded quota"), AppsObjects.Epoch);
        set["status"] = failing;
        var recovered = ReplicaSetStatus.Compute(set, [], null, AppsObjects.Epoch);

        PodState.Condition(new JsonObject { ["status"] = failing.DeepClone() }, "ReplicaFailure")!["reason"]!.GetValue<string>().Should().Be("FailedCreate");
        PodState.Condition(new JsonObject { ["status"] = recovered }, "ReplicaFailure").Should().BeNull();
    }

    [Fact]
    public void Same_StatusReadBackFromJson_EqualsTheComputedOne()
    {
        var status = ReplicaSetStatus.Compute(ReplicaSet(minReadySeconds: 0), [AppsObjects.Pod("a")], null, AppsObjects.Epoch);
        var stored = JsonNode.Parse(status.ToJsonString())!.AsObject();

        ReplicaSetStatus.Same(stored, status).Should().BeTrue();
        ReplicaSetStatus.Same(stored, ReplicaSetStatus.Compute(ReplicaSet(minReadySeconds: 0), [], null, AppsObjects.Epoch)).Should().BeFalse();
    }

    [Fact]
    public void Claims_OrphansAndStrangers_AdoptsMatchingOrphansOnly()
    {
        JsonObject[] pods =
        [
            AppsObjects.Pod("mine"),
            AppsObjects.Pod("orphan", ownerUid: null),
            AppsObjects.Pod("other", ownerUid: "someone-else"),
        ];
        var mismatched = AppsObjects.Pod("mine-relabelled");
        mismatched["metadata"]!["labels"] = new JsonObject { ["app"] = "db" };

        var claims = OwnerClaims.Of("rs-uid", ownerDeleting: false, PodTemplates.Selector(new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } }), [.. pods, mismatched]);

        claims.Owned.Select(ObjectKeys.Name).Should().Equal("mine");
        claims.Adopt.Select(ObjectKeys.Name).Should().Equal("orphan");
        claims.Release.Select(ObjectKeys.Name).Should().Equal("mine-relabelled");
        OwnerClaims.ReleasePatch(mismatched, "rs-uid")["metadata"]!["ownerReferences"]!.AsArray().Should().BeEmpty();
    }

    private static JsonObject ReplicaSet(long minReadySeconds) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "rs", ["namespace"] = "default", ["uid"] = "rs-uid", ["generation"] = 4 },
        ["spec"] = new JsonObject
        {
            ["replicas"] = 3,
            ["minReadySeconds"] = minReadySeconds,
            ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } } },
        },
    };
}
