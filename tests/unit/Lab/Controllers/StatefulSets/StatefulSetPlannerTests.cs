using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Controllers.StatefulSets;

namespace K3sLab.Lab.Tests.Controllers.StatefulSets;

/// <summary>The statefulset controller's pure decisions: ordered creation, scale down, rolling updates with partition, status.</summary>
[Trait("Category", "Unit")]
public sealed class StatefulSetPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_OrderedReady_CreatesOnlyTheFirstMissingPod()
    {
        var set = Set(replicas: 3);
        var plan = StatefulSetPlanner.Plan(set, [], [], Now);

        plan.CreatePods.Select(ObjectKeys.Name).Should().Equal("web-0");
        plan.CreatePods[0]["spec"]!["hostname"]!.GetValue<string>().Should().Be("web-0");
        plan.CreatePods[0]["spec"]!["subdomain"]!.GetValue<string>().Should().Be("web");
        plan.CreatePods[0]["metadata"]!["labels"]![StatefulSetPlanner.PodNameLabel]!.GetValue<string>().Should().Be("web-0");
        plan.RevisionToCreate.Should().NotBeNull();
    }

    [Fact]
    public void Plan_OrderedReady_WaitsForTheLowerPodToBeReady()
    {
        var set = Set(replicas: 3);
        var revision = UpdateRevision(set);

        StatefulSetPlanner.Plan(set, [Pod(set, 0, revision, ready: false)], [], Now).CreatePods.Should().BeEmpty();
        StatefulSetPlanner.Plan(set, [Pod(set, 0, revision, ready: true)], [], Now).CreatePods.Select(ObjectKeys.Name).Should().Equal("web-1");
    }

    [Fact]
    public void Plan_Parallel_CreatesEveryMissingPodAtOnce()
    {
        var set = Set(replicas: 3);
        set["spec"]!["podManagementPolicy"] = "Parallel";

        StatefulSetPlanner.Plan(set, [], [], Now).CreatePods.Select(ObjectKeys.Name).Should().Equal("web-0", "web-1", "web-2");
    }

    [Fact]
    public void Plan_ScaleDown_DeletesTheHighestOrdinalFirstOneAtATime()
    {
        var set = Set(replicas: 1);
        var revision = UpdateRevision(set);
        var pods = new[] { Pod(set, 0, revision, ready: true), Pod(set, 1, revision, ready: true), Pod(set, 2, revision, ready: true) };

        StatefulSetPlanner.Plan(set, pods, [], Now).DeletePods.Should().Equal("web-2");
    }

    [Fact]
    public void Plan_RollingUpdate_ReplacesFromTheHighestOrdinalDownToThePartition()
    {
        var set = Set(replicas: 3);
        set["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 1 } };
        var revision = UpdateRevision(set);
        var old = new[] { Pod(set, 0, "web-old", ready: true), Pod(set, 1, "web-old", ready: true), Pod(set, 2, "web-old", ready: true) };

        StatefulSetPlanner.Plan(set, old, [], Now).DeletePods.Should().Equal("web-2");

        var halfway = new[] { old[0], old[1], Pod(set, 2, revision, ready: true) };
        StatefulSetPlanner.Plan(set, halfway, [], Now).DeletePods.Should().Equal("web-1");

        var done = new[] { old[0], Pod(set, 1, revision, ready: true), Pod(set, 2, revision, ready: true) };
        var plan = StatefulSetPlanner.Plan(set, done, [], Now);
        plan.DeletePods.Should().BeEmpty("ordinal 0 is below the partition");
        plan.Status["updatedReplicas"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public void Plan_AllPodsUpdatedAndReady_AdvancesTheCurrentRevision()
    {
        var set = Set(replicas: 2);
        set["status"] = new JsonObject { ["currentRevision"] = "web-old" };
        var revision = UpdateRevision(set);

        var plan = StatefulSetPlanner.Plan(set, [Pod(set, 0, revision, ready: true), Pod(set, 1, revision, ready: true)], [], Now);

        plan.Status["currentRevision"]!.GetValue<string>().Should().Be(revision);
        plan.Status["updateRevision"]!.GetValue<string>().Should().Be(revision);
        plan.Status["readyReplicas"]!.GetValue<int>().Should().Be(2);
        plan.Status["currentReplicas"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public void Plan_FailedPod_IsDeletedToBeRecreated()
    {
        var set = Set(replicas: 1);
        var failed = Pod(set, 0, UpdateRevision(set), ready: false);
        failed["status"]!["phase"] = "Failed";

        StatefulSetPlanner.Plan(set, [failed], [], Now).DeletePods.Should().Equal("web-0");
    }

    [Fact]
    public void Plan_VolumeClaimTemplates_BecomeEachPodsOwnClaim()
    {
        var set = Set(replicas: 2);
        set["spec"]!["volumeClaimTemplates"] = new JsonArray(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "data" } });
        set["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["emptyDir"] = new JsonObject() });

        var pod = StatefulSetPlanner.Plan(set, [], [], Now).CreatePods[0];

        var volumes = pod["spec"]!["volumes"]!.AsArray();
        volumes.Should().ContainSingle();
        volumes[0]!["persistentVolumeClaim"]!["claimName"]!.GetValue<string>().Should().Be("data-web-0");
        volumes[0]!["emptyDir"].Should().BeNull();
    }

    [Fact]
    public void Claims_CarryTheTemplateAndTheSetsSelectorLabels_AndAnOwnerOnlyWhenDeletedWithTheSet()
    {
        var set = Set(replicas: 1);
        set["metadata"]!["uid"] = "set-uid";
        set["spec"]!["volumeClaimTemplates"] = new JsonArray(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "data", ["labels"] = new JsonObject { ["kind"] = "db" } },
            ["spec"] = new JsonObject { ["accessModes"] = new JsonArray("ReadWriteOnce"), ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "1Gi" } } },
        });

        var claim = StatefulSetPlanner.Claims(set, "web-3").Should().ContainSingle().Subject;

        claim["metadata"]!["name"]!.GetValue<string>().Should().Be("data-web-3");
        claim["metadata"]!["labels"]!["kind"]!.GetValue<string>().Should().Be("db");
        foreach (var (key, value) in set["spec"]!["selector"]!["matchLabels"]!.AsObject())
        {
            claim["metadata"]!["labels"]![key]!.GetValue<string>().Should().Be(value!.GetValue<string>());
        }

        claim["spec"]!["resources"]!["requests"]!["storage"]!.GetValue<string>().Should().Be("1Gi");
        claim["metadata"]!["ownerReferences"].Should().BeNull();

        set["spec"]!["persistentVolumeClaimRetentionPolicy"] = new JsonObject { ["whenDeleted"] = "Delete", ["whenScaled"] = "Retain" };
        StatefulSetPlanner.Claims(set, "web-3")[0]["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>().Should().Be("set-uid");
    }

    [Theory]
    [InlineData("web-0", 0)]
    [InlineData("web-12", 12)]
    [InlineData("web-012", null)]
    [InlineData("web-x", null)]
    [InlineData("webby-1", null)]
    public void Ordinal_ParsesOnlyTheSetsOwnNames(string pod, int? expected) =>
        StatefulSetPlanner.Ordinal("web", pod).Should().Be(expected);

    private static string UpdateRevision(JsonObject set) => $"web-{Revisions.Hash(set["spec"]!["template"], 0)}";

    private static JsonObject Set(int replicas)
    {
        var set = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web","namespace":"default","uid":"sts-uid","generation":1},
             "spec":{"serviceName":"web","podManagementPolicy":"OrderedReady","selector":{"matchLabels":{"app":"web"}},
                     "updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"pause"}]}}}}
            """)!.AsObject();
        set["spec"]!["replicas"] = replicas;
        return set;
    }

    private static JsonObject Pod(JsonObject set, int ordinal, string revision, bool ready)
    {
        var pod = StatefulSetPlanner.NewPod(set, set["spec"]!["template"] as JsonObject, ordinal, revision);
        pod["metadata"]!["uid"] = $"pod-{ordinal}";
        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = PodState.Stamp(Now.AddMinutes(-1)) }),
        };
        return pod;
    }
}
