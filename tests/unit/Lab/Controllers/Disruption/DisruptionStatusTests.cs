using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Disruption;
using static K3sLab.Lab.Tests.Controllers.Disruption.DisruptionFixtures;

namespace K3sLab.Lab.Tests.Controllers.Disruption;

/// <summary>The disruption controller's status over time: recorded evictions and their expiry, the condition, when to write.</summary>
[Trait("Category", "Unit")]
public sealed class DisruptionStatusTests
{
    [Fact]
    public void Plan_RecentEviction_KeepsTheEntryAndDoesNotCountThePod()
    {
        var status = Status(disruptedPods: new JsonObject { ["a"] = "2026-05-01T11:59:30Z" });

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: status), [Pod("a"), Pod("b"), Pod("c")], NoWorkloads, Now);

        plan.Status["disruptedPods"]!.AsObject().Select(p => p.Key).Should().Equal("a");
        Field(plan, "currentHealthy").Should().Be(2);
        plan.RecheckAfter.Should().Be(TimeSpan.FromSeconds(90), "the entry expires two minutes after the eviction");
    }

    [Fact]
    public void Plan_SeveralEvictions_RechecksAtTheEarliestExpiry()
    {
        var status = Status(disruptedPods: new JsonObject { ["a"] = "2026-05-01T11:59:50Z", ["b"] = "2026-05-01T11:58:30Z" });

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: status), [Pod("a"), Pod("b"), Pod("c")], NoWorkloads, Now);

        plan.RecheckAfter.Should().Be(TimeSpan.FromSeconds(30));
        Field(plan, "currentHealthy").Should().Be(1);
    }

    [Fact]
    public void Plan_ExpiredEviction_DropsTheEntryWarnsOnThePodAndCountsItAgain()
    {
        var status = Status(disruptedPods: new JsonObject { ["a"] = "2026-05-01T11:57:59Z" });
        var pod = Pod("a");

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: status), [pod, Pod("b")], NoWorkloads, Now);

        plan.Status["disruptedPods"].Should().BeNull();
        Field(plan, "currentHealthy").Should().Be(2);
        plan.RecheckAfter.Should().BeNull();
        var warning = plan.Events.Should().ContainSingle(e => e.Reason == "NotDeleted").Which;
        warning.Pod.Should().BeSameAs(pod);
        warning.Message.Should().Be("Pod was expected by PDB ns/pdb to be deleted but it wasn't");
    }

    [Fact]
    public void Plan_EvictedPodNowDeletingOrGone_DropsTheEntry()
    {
        var status = Status(disruptedPods: new JsonObject { ["a"] = "2026-05-01T11:59:50Z", ["gone"] = "2026-05-01T11:59:50Z" });

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: status), [Pod("a", deleting: true), Pod("b"), Pod("c")], NoWorkloads, Now);

        plan.Status["disruptedPods"].Should().BeNull();
        plan.RecheckAfter.Should().BeNull();
        Field(plan, "currentHealthy").Should().Be(2);
        Field(plan, "disruptionsAllowed").Should().Be(1);
    }

    [Fact]
    public void Plan_FirstSync_SetsTheConditionTrueWithSufficientPods()
    {
        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);

        var condition = Condition(plan);
        condition["status"]!.GetValue<string>().Should().Be("True");
        condition["reason"]!.GetValue<string>().Should().Be("SufficientPods");
        condition["message"]!.GetValue<string>().Should().BeEmpty();
        condition["observedGeneration"]!.GetValue<long>().Should().Be(1);
        condition["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-05-01T12:00:00Z");
    }

    [Fact]
    public void Plan_NoDisruptionLeft_TurnsTheConditionFalseAtThisTime()
    {
        var first = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);

        var later = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: first.Status), [Pod("a"), Pod("b", ready: false)], NoWorkloads, Now.AddMinutes(5));

        var condition = Condition(later);
        condition["status"]!.GetValue<string>().Should().Be("False");
        condition["reason"]!.GetValue<string>().Should().Be("InsufficientPods");
        condition["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-05-01T12:05:00Z");
    }

    [Fact]
    public void Plan_CountsMoveButTheConditionHolds_KeepsItsTransitionTime()
    {
        var first = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);

        var later = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: first.Status), [Pod("a"), Pod("b"), Pod("c")], NoWorkloads, Now.AddMinutes(5));

        later.StatusChanged.Should().BeTrue();
        Field(later, "disruptionsAllowed").Should().Be(2);
        Condition(later)["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-05-01T12:00:00Z");
    }

    [Fact]
    public void Plan_NothingMoved_ReportsNoChange()
    {
        var first = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);

        var again = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: first.Status), [Pod("a"), Pod("b")], NoWorkloads, Now.AddMinutes(1));

        again.StatusChanged.Should().BeFalse();
        again.Status.ToJsonString().Should().Be(first.Status.ToJsonString());
    }

    [Fact]
    public void Plan_NewGeneration_IsWrittenEvenWithTheSameCounts()
    {
        var first = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);

        var edited = DisruptionPlanner.Plan(Budget(minAvailable: "1", generation: 2, status: first.Status), [Pod("a"), Pod("b")], NoWorkloads, Now.AddMinutes(1));

        edited.StatusChanged.Should().BeTrue();
        Field(edited, "observedGeneration").Should().Be(2);
        Condition(edited)["observedGeneration"]!.GetValue<long>().Should().Be(2);
    }

    [Fact]
    public void Plan_AfterAFailure_RecoversTheConditionFromSyncFailed()
    {
        var owner = ("apps/v1", "StatefulSet", "db", "ss-uid");
        var failed = DisruptionPlanner.Plan(Budget(maxUnavailable: "1"), [Pod("db-0", owner: owner), Pod("db-1", owner: owner)], NoWorkloads, Now);

        var recovered = DisruptionPlanner.Plan(Budget(maxUnavailable: "1", status: failed.Status), [Pod("db-0", owner: owner), Pod("db-1", owner: owner)], Lookup(Workload("StatefulSet", "db", "ss-uid", 2)), Now.AddMinutes(1));

        recovered.StatusChanged.Should().BeTrue();
        Condition(recovered)["reason"]!.GetValue<string>().Should().Be("SufficientPods");
        Condition(recovered)["lastTransitionTime"]!.GetValue<string>().Should().Be("2026-05-01T12:01:00Z");
        Field(recovered, "disruptionsAllowed").Should().Be(1);
    }

    [Fact]
    public void Plan_EvictionChargedByTheApiServer_IsSeenAsAChange()
    {
        var first = DisruptionPlanner.Plan(Budget(minAvailable: "1"), [Pod("a"), Pod("b")], NoWorkloads, Now);
        var charged = first.Status.DeepClone().AsObject();
        charged["disruptionsAllowed"] = 0;
        charged["disruptedPods"] = new JsonObject { ["a"] = "2026-05-01T12:00:10Z" };

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", status: charged), [Pod("a", deleting: true), Pod("b")], NoWorkloads, Now.AddSeconds(11));

        plan.StatusChanged.Should().BeTrue("the deleting pod's entry is dropped");
        Field(plan, "currentHealthy").Should().Be(1);
        Field(plan, "disruptionsAllowed").Should().Be(0);
        Condition(plan)["reason"]!.GetValue<string>().Should().Be("InsufficientPods");
    }

    private static JsonObject Status(JsonObject disruptedPods) => new()
    {
        ["observedGeneration"] = 1,
        ["disruptedPods"] = disruptedPods,
        ["disruptionsAllowed"] = 0,
        ["currentHealthy"] = 0,
        ["desiredHealthy"] = 0,
        ["expectedPods"] = 0,
    };
}
