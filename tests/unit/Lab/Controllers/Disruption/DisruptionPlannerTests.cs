using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Disruption;
using static K3sLab.Lab.Tests.Controllers.Disruption.DisruptionFixtures;

namespace K3sLab.Lab.Tests.Controllers.Disruption;

/// <summary>The disruption controller's counts: which pods a budget selects, how many should and do stay healthy, what is allowed.</summary>
[Trait("Category", "Unit")]
public sealed class DisruptionPlannerTests
{
    private static readonly (string, string, string, string) ByReplicaSet = ("apps/v1", "ReplicaSet", "web-rs", "rs-uid");
    private static readonly JsonObject Deployment = Workload("Deployment", "web", "dep-uid", 3);
    private static readonly JsonObject ReplicaSet = Workload("ReplicaSet", "web-rs", "rs-uid", 3, ("Deployment", "web", "dep-uid"));

    [Fact]
    public void Plan_MinAvailableInteger_CountsSelectedPodsWithoutControllers()
    {
        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "2"), [Pod("a"), Pod("b"), Pod("c")], NoWorkloads, Now);

        Field(plan, "expectedPods").Should().Be(3);
        Field(plan, "desiredHealthy").Should().Be(2);
        Field(plan, "currentHealthy").Should().Be(3);
        Field(plan, "disruptionsAllowed").Should().Be(1);
        Field(plan, "observedGeneration").Should().Be(1);
        plan.StatusChanged.Should().BeTrue();
        plan.Events.Should().BeEmpty("minAvailable as an integer needs no controller, so unmanaged pods are not reported");
    }

    [Fact]
    public void Plan_MinAvailablePercent_RoundsUpAgainstTheDeploymentsScale()
    {
        var pods = new[] { Pod("a", owner: ByReplicaSet), Pod("b", owner: ByReplicaSet), Pod("c", owner: ByReplicaSet) };
        var deployment = Workload("Deployment", "web", "dep-uid", 5);

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "\"50%\""), pods, Lookup(deployment, ReplicaSet), Now);

        Field(plan, "expectedPods").Should().Be(5, "the Deployment over the ReplicaSet wants 5");
        Field(plan, "desiredHealthy").Should().Be(3, "50% of 5 rounds up");
        Field(plan, "disruptionsAllowed").Should().Be(0);
    }

    [Fact]
    public void Plan_MaxUnavailableInteger_TakesTheDeploymentOverTheReplicaSet()
    {
        var pods = new[] { Pod("a", owner: ByReplicaSet), Pod("b", owner: ByReplicaSet), Pod("c", owner: ByReplicaSet) };
        var replicaSet = Workload("ReplicaSet", "web-rs", "rs-uid", 7, ("Deployment", "web", "dep-uid"));

        var plan = DisruptionPlanner.Plan(Budget(maxUnavailable: "1"), pods, Lookup(Deployment, replicaSet), Now);

        Field(plan, "expectedPods").Should().Be(3, "the Deployment's replicas count, not its ReplicaSet's");
        Field(plan, "desiredHealthy").Should().Be(2);
        Field(plan, "disruptionsAllowed").Should().Be(1);
    }

    [Fact]
    public void Plan_MaxUnavailablePercent_RoundsUpAndCountsEachControllerOnce()
    {
        var statefulSet = Workload("StatefulSet", "db", "ss-uid", 4);
        var ownedBySet = ("apps/v1", "StatefulSet", "db", "ss-uid");
        var pods = new[] { Pod("db-0", owner: ownedBySet), Pod("db-1", owner: ownedBySet), Pod("db-2", owner: ownedBySet), Pod("db-3", owner: ownedBySet, ready: false) };

        var plan = DisruptionPlanner.Plan(Budget(maxUnavailable: "\"30%\""), pods, Lookup(statefulSet), Now);

        Field(plan, "expectedPods").Should().Be(4);
        Field(plan, "desiredHealthy").Should().Be(2, "30% of 4 rounds up to 2 unavailable");
        Field(plan, "currentHealthy").Should().Be(3);
        Field(plan, "disruptionsAllowed").Should().Be(1);
    }

    [Fact]
    public void Plan_ReplicaSetWithoutDeployment_UsesItsOwnReplicas()
    {
        var replicaSet = Workload("ReplicaSet", "web-rs", "rs-uid", 4);

        var plan = DisruptionPlanner.Plan(Budget(maxUnavailable: "1"), [Pod("a", owner: ByReplicaSet)], Lookup(replicaSet), Now);

        Field(plan, "expectedPods").Should().Be(4);
    }

    [Fact]
    public void Plan_PodsWithoutControllersUnderMaxUnavailable_AreReportedAsUnmanaged()
    {
        var plan = DisruptionPlanner.Plan(Budget(maxUnavailable: "1"), [Pod("a", owner: ByReplicaSet), Pod("loose")], Lookup(Deployment, ReplicaSet), Now);

        plan.Events.Should().ContainSingle(e => e.Reason == "UnmanagedPods" && e.Type == "Warning").Which.Message.Should().Contain("(selector: app=web)");
        Field(plan, "expectedPods").Should().Be(3);
        plan.Error.Should().BeNull();
    }

    [Fact]
    public void Plan_ControllerNotFound_FailsSafeWithSyncFailed()
    {
        var previous = new JsonObject { ["disruptionsAllowed"] = 2, ["currentHealthy"] = 3, ["desiredHealthy"] = 1, ["expectedPods"] = 3, ["observedGeneration"] = 1 };

        var plan = DisruptionPlanner.Plan(Budget(maxUnavailable: "1", status: previous), [Pod("a", owner: ByReplicaSet)], NoWorkloads, Now);

        plan.Error.Should().Be("found no controllers for pod \"a\"");
        Field(plan, "disruptionsAllowed").Should().Be(0);
        Field(plan, "currentHealthy").Should().Be(3, "the fail-safe keeps the rest of the status");
        var condition = Condition(plan);
        condition["status"]!.GetValue<string>().Should().Be("False");
        condition["reason"]!.GetValue<string>().Should().Be("SyncFailed");
        condition["message"]!.GetValue<string>().Should().Be("found no controllers for pod \"a\"");
        plan.Events.Should().ContainSingle(e => e.Reason == "CalculateExpectedPodCountFailed")
            .Which.Message.Should().Be("Failed to calculate the number of expected pods: found no controllers for pod \"a\"");
        plan.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void Plan_UnsupportedControllerKind_FailsSafe()
    {
        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "\"50%\""), [Pod("a", owner: ("apps/v1", "DaemonSet", "ds", "ds-uid"))], NoWorkloads, Now);

        plan.Error.Should().Be("daemonsets.apps does not implement the scale subresource");
        Condition(plan)["reason"]!.GetValue<string>().Should().Be("SyncFailed");
    }

    [Fact]
    public void Plan_SameFailureAgain_ChangesNothing()
    {
        var first = DisruptionPlanner.Plan(Budget(maxUnavailable: "1"), [Pod("a", owner: ByReplicaSet)], NoWorkloads, Now);

        var again = DisruptionPlanner.Plan(Budget(maxUnavailable: "1", status: first.Status), [Pod("a", owner: ByReplicaSet)], NoWorkloads, Now.AddMinutes(1));

        again.StatusChanged.Should().BeFalse();
    }

    [Fact]
    public void Plan_UnreadyAndTerminatingPods_AreNotHealthy()
    {
        var pods = new[] { Pod("a"), Pod("b", ready: false), Pod("c", deleting: true), Pod("d") };

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1"), pods, NoWorkloads, Now);

        Field(plan, "currentHealthy").Should().Be(2);
        Field(plan, "expectedPods").Should().Be(4);
        Field(plan, "disruptionsAllowed").Should().Be(1);
    }

    [Fact]
    public void Plan_EmptySelector_SelectsEveryPodOfTheNamespace()
    {
        var pods = new[] { Pod("a", app: "web"), Pod("b", app: "db"), Pod("elsewhere", ns: "other") };

        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "0", selector: "{}"), pods, NoWorkloads, Now);

        Field(plan, "expectedPods").Should().Be(2);
        Field(plan, "currentHealthy").Should().Be(2);
    }

    [Fact]
    public void Plan_NullSelector_SelectsNothingAndSaysSo()
    {
        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "0", selector: null), [Pod("a")], NoWorkloads, Now);

        Field(plan, "expectedPods").Should().Be(0);
        Field(plan, "disruptionsAllowed").Should().Be(0, "nothing is allowed while nothing is expected");
        plan.Events.Should().ContainSingle(e => e.Reason == "NoPods" && e.Type == "Normal" && e.Message == "No matching pods found");
    }

    [Fact]
    public void Plan_InvalidSelector_FailsSafeWithNoPodsWarning()
    {
        var plan = DisruptionPlanner.Plan(Budget(minAvailable: "1", selector: """{"matchLabels":{"bad key":"x"}}"""), [Pod("a")], NoWorkloads, Now);

        plan.Events.Should().ContainSingle(e => e.Reason == "NoPods" && e.Type == "Warning").Which.Message.Should().StartWith("Failed to get pods: ");
        Condition(plan)["reason"]!.GetValue<string>().Should().Be("SyncFailed");
    }
}
