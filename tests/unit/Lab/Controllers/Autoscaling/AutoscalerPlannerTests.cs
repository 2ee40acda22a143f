using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Autoscaling;
using static K3sLab.Lab.Tests.Controllers.Autoscaling.HpaFixtures;

namespace K3sLab.Lab.Tests.Controllers.Autoscaling;

/// <summary>Whole syncs: rescale decisions and event texts, conditions and their transitions, metric statuses, failing metrics.</summary>
[Trait("Category", "Unit")]
public sealed class AutoscalerPlannerTests
{
    private static readonly JsonObject[] ThreePods = [Pod("a"), Pod("b"), Pod("c")];

    [Fact]
    public void Plan_CpuAboveTarget_RescalesWithUpstreamsReason()
    {
        var history = new AutoscalerHistory();
        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), history, Settings, Now);

        plan.Rescale.Should().Be(5);
        var done = AutoscalerPlanner.Rescaled(plan, history, Now);

        done.Rescale.Should().BeNull();
        done.Events.Should().ContainSingle().Which.Should().Be(new AutoscalerEvent("Normal", "SuccessfulRescale", "New size: 5; reason: cpu resource utilization (percentage of request) above target"));
        done.Status["desiredReplicas"]!.GetValue<int>().Should().Be(5);
        done.Status["currentReplicas"]!.GetValue<int>().Should().Be(3);
        done.Status["lastScaleTime"]!.GetValue<string>().Should().Be("2026-03-01T12:00:00Z");
        done.Status["observedGeneration"]!.GetValue<long>().Should().Be(2);
        Reason(done.Status, "AbleToScale").Should().Be("SucceededRescale");
        Message(done.Status, "AbleToScale").Should().Be("the HPA controller was able to update the target scale to 5");
        Message(done.Status, "ScalingActive").Should().Be("the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)");
        done.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void Plan_ResourceMetric_WritesItsCurrentValueInTheV2Shape()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), new AutoscalerHistory(), Settings, Now);

        var expected = JsonNode.Parse("""[{"type":"Resource","resource":{"name":"cpu","current":{"averageValue":"80m","averageUtilization":80}}}]""");
        JsonNode.DeepEquals(plan.Status["currentMetrics"], expected).Should().BeTrue(plan.Status["currentMetrics"]!.ToJsonString());
    }

    [Fact]
    public void Plan_AllMetricsBelowTarget_RescalesDownWithThatReason()
    {
        var behavior = new JsonObject { ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = 0 } };
        var history = new AutoscalerHistory();
        var plan = AutoscalerPlanner.Plan(Hpa(behavior: behavior), Scale(3), ThreePods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")), history, Settings, Now);

        var done = AutoscalerPlanner.Rescaled(plan, history, Now);

        done.Events.Single().Message.Should().Be("New size: 1; reason: All metrics below target");
        history.ScaleDowns.Should().Equal(new ScaleEvent(2, Now, false));
    }

    [Fact]
    public void Plan_WithoutBehavior_StabilizesScaleDownOverTheDefaultWindow()
    {
        var history = new AutoscalerHistory();
        AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m")), history, Settings, Now.AddMinutes(-4));

        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")), history, Settings, Now);

        plan.Rescale.Should().BeNull();
        Reason(plan.Status, "AbleToScale").Should().Be("ScaleDownStabilized");
        plan.Status["desiredReplicas"]!.GetValue<int>().Should().Be(3);
    }

    [Fact]
    public void Plan_WithinTolerance_ChangesNothing()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "52m"), ("b", "52m"), ("c", "52m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().BeNull();
        plan.Events.Should().BeEmpty();
        Reason(plan.Status, "AbleToScale").Should().Be("ReadyForNewScale");
        Reason(plan.Status, "ScalingLimited").Should().Be("DesiredWithinRange");
    }

    [Fact]
    public void Plan_TargetScaledToZero_IsScalingDisabled()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(0), ThreePods, Cpu(("a", "80m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().BeNull();
        State(plan.Status, "ScalingActive").Should().Be("False");
        Reason(plan.Status, "ScalingActive").Should().Be("ScalingDisabled");
        Message(plan.Status, "ScalingActive").Should().Be("scaling is disabled since the replica count of the target is zero");
        plan.Status["desiredReplicas"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public void Plan_AboveMaxReplicas_ScalesToMaxWithoutMetrics()
    {
        var history = new AutoscalerHistory();
        var plan = AutoscalerPlanner.Plan(Hpa(max: 4), Scale(6), ThreePods, ResourceMetricsResponse.Failed("unused"), history, Settings, Now);

        plan.Rescale.Should().Be(4);
        plan.Error.Should().BeNull();
        AutoscalerPlanner.Rescaled(plan, history, Now).Events.Single().Message.Should().Be("New size: 4; reason: Current number of replicas above Spec.MaxReplicas");
    }

    [Fact]
    public void Plan_BelowMinReplicas_ScalesToMin()
    {
        var history = new AutoscalerHistory();
        var plan = AutoscalerPlanner.Plan(Hpa(min: 3), Scale(1), ThreePods, ResourceMetricsResponse.Failed("unused"), history, Settings, Now);

        AutoscalerPlanner.Rescaled(plan, history, Now).Events.Single().Message.Should().Be("New size: 3; reason: Current number of replicas below Spec.MinReplicas");
    }

    [Fact]
    public void Plan_MaxLimitsAMetricProposal_ScalingLimitedTooManyReplicas()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(max: 4), Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().Be(4);
        State(plan.Status, "ScalingLimited").Should().Be("True");
        Reason(plan.Status, "ScalingLimited").Should().Be("TooManyReplicas");
    }

    [Fact]
    public void Plan_ScaleMissingASelector_IsSelectorRequired()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(), new ScaleState(3, 3, string.Empty), ThreePods, Cpu(("a", "80m")), new AutoscalerHistory(), Settings, Now);

        plan.Events.Select(e => (e.Reason, e.Message)).Should().Equal(("SelectorRequired", "selector is required"), ("FailedComputeMetricsReplicas", "selector is required"));
        Reason(plan.Status, "ScalingActive").Should().Be("InvalidSelector");
        Message(plan.Status, "ScalingActive").Should().Be("the HPA target's scale is missing a selector");
        plan.Status["currentMetrics"].Should().BeNull();
    }

    [Fact]
    public void Plan_MetricsApiMissing_FailsWithUpstreamsWording()
    {
        var notFound = ClientErrors.Describe(System.Net.HttpStatusCode.NotFound, null, "get", "pods.metrics.k8s.io");
        var plan = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, ResourceMetricsResponse.Failed(notFound), new AutoscalerHistory(), Settings, Now);

        const string cause = "failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)";
        plan.Rescale.Should().BeNull();
        plan.Events.Should().Equal(
            new AutoscalerEvent("Warning", "FailedGetResourceMetric", cause),
            new AutoscalerEvent("Warning", "FailedComputeMetricsReplicas", $"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: {cause}"));
        State(plan.Status, "ScalingActive").Should().Be("False");
        Reason(plan.Status, "ScalingActive").Should().Be("FailedGetResourceMetric");
        Message(plan.Status, "ScalingActive").Should().Be($"the HPA was unable to compute the replica count: {cause}");
        plan.Status["currentMetrics"]!.ToJsonString().Should().Be("""[{"type":""}]""");
        plan.Error.Should().StartWith("failed to compute desired number of replicas based on listed metrics for Deployment/default/web: invalid metrics");
    }

    [Fact]
    public void Plan_MetricsFailing_KeepsTheStoredDesiredReplicas()
    {
        var hpa = Hpa(status: new JsonObject { ["currentReplicas"] = 3, ["desiredReplicas"] = 7 });

        var plan = AutoscalerPlanner.Plan(hpa, Scale(3), ThreePods, ResourceMetricsResponse.Failed("x"), new AutoscalerHistory(), Settings, Now);

        plan.Status["desiredReplicas"]!.GetValue<int>().Should().Be(7);
    }

    [Fact]
    public void Plan_PodsMetricFailsButCpuScalesUp_StillScalesUp()
    {
        var metrics = new JsonArray((JsonNode)CpuMetric(50), (JsonNode)PodsMetric("requests"));

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: metrics), Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().Be(5);
        Reason(plan.Status, "ScalingActive").Should().Be("ValidMetricFound");
        plan.Events.Single().Should().Be(new AutoscalerEvent("Warning", "FailedGetPodsMetric", "unable to get metric requests: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered"));
        plan.Error.Should().Be("invalid metrics (1 invalid out of 2), first error is: failed to get pods metric value: unable to get metric requests: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered");
        plan.Status["currentMetrics"]![1]!.ToJsonString().Should().Be("""{"type":""}""");
    }

    [Fact]
    public void Plan_PodsMetricFailsAndCpuScalesDown_DoesNotScale()
    {
        var metrics = new JsonArray((JsonNode)CpuMetric(50), (JsonNode)PodsMetric("requests"));

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: metrics), Scale(3), ThreePods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().BeNull();
        Reason(plan.Status, "ScalingActive").Should().Be("FailedGetPodsMetric");
        Message(plan.Status, "ScalingActive").Should().Be("the HPA was unable to compute the replica count: unable to get metric requests: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered");
    }

    [Fact]
    public void Plan_ObjectMetric_FailsAsWithoutTheCustomMetricsApi()
    {
        var metric = JsonNode.Parse("""
            {"type":"Object","object":{"describedObject":{"apiVersion":"v1","kind":"Service","name":"front"},"metric":{"name":"hits"},"target":{"type":"Value","value":"10"}}}
            """)!;

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: new JsonArray(metric)), Scale(3), ThreePods, Cpu(), new AutoscalerHistory(), Settings, Now);

        Reason(plan.Status, "ScalingActive").Should().Be("FailedGetObjectMetric");
        plan.Events[0].Message.Should().Be("unable to get metric hits: Service on default front/unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered");
        plan.Events[1].Message.Should().StartWith("invalid metrics (1 invalid out of 1), first error is: failed to get object metric value: unable to get metric hits:");
    }

    [Fact]
    public void Plan_ExternalMetric_FailsAsWithoutTheExternalMetricsApi()
    {
        var metric = JsonNode.Parse("""
            {"type":"External","external":{"metric":{"name":"queue","selector":{"matchLabels":{"q":"jobs"}}},"target":{"type":"AverageValue","averageValue":"30"}}}
            """)!;

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: new JsonArray(metric)), Scale(3), ThreePods, Cpu(), new AutoscalerHistory(), Settings, Now);

        Reason(plan.Status, "ScalingActive").Should().Be("FailedGetExternalMetric");
        plan.Events[0].Message.Should().Be(
            "unable to get external metric default/queue/&LabelSelector{MatchLabels:map[string]string{q: jobs,},MatchExpressions:[]LabelSelectorRequirement{},}: " +
            "unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue.external.metrics.k8s.io)");
        plan.Events[1].Message.Should().StartWith("invalid metrics (1 invalid out of 1), first error is: failed to get queue external metric value: failed to get queue external metric: ");
    }

    [Fact]
    public void Plan_ContainerResourceMetric_NamesTheContainer()
    {
        var metric = JsonNode.Parse("""
            {"type":"ContainerResource","containerResource":{"name":"cpu","container":"app","target":{"type":"Utilization","averageUtilization":50}}}
            """)!;

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: new JsonArray(metric)), Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), new AutoscalerHistory(), Settings, Now);

        Message(plan.Status, "ScalingActive").Should().EndWith("from cpu container resource utilization (percentage of request)");
        plan.Status["currentMetrics"]![0]!.ToJsonString().Should().Be("""{"type":"ContainerResource","containerResource":{"name":"cpu","container":"app","current":{"averageValue":"80m","averageUtilization":80}}}""");
    }

    [Fact]
    public void Plan_AverageValueTarget_ReportsTheAverageOnly()
    {
        var metric = JsonNode.Parse("""{"type":"Resource","resource":{"name":"cpu","target":{"type":"AverageValue","averageValue":"100m"}}}""")!;

        var plan = AutoscalerPlanner.Plan(Hpa(metrics: new JsonArray(metric)), Scale(3), ThreePods, Cpu(("a", "150m"), ("b", "150m"), ("c", "150m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().Be(5);
        plan.Status["currentMetrics"]![0]!["resource"]!["current"]!.ToJsonString().Should().Be("""{"averageValue":"150m"}""");
        Message(plan.Status, "ScalingActive").Should().EndWith("from cpu resource");
    }

    [Fact]
    public void Plan_NoMetricsListed_UsesCpuAt80Percent()
    {
        var plan = AutoscalerPlanner.Plan(Hpa(metrics: []), Scale(3), ThreePods, Cpu(("a", "160m"), ("b", "160m"), ("c", "160m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().Be(6);
    }

    [Fact]
    public void Plan_BehaviorTolerance_OverridesTheFlag()
    {
        var behavior = new JsonObject { ["scaleUp"] = new JsonObject { ["tolerance"] = "0.01" } };

        var plan = AutoscalerPlanner.Plan(Hpa(behavior: behavior), Scale(3), ThreePods, Cpu(("a", "53m"), ("b", "53m"), ("c", "53m")), new AutoscalerHistory(), Settings, Now);

        plan.Rescale.Should().Be(4);
    }

    [Fact]
    public void Plan_ConditionWhoseStatusHolds_KeepsItsTransitionTime()
    {
        var earlier = Now.AddHours(-1);
        var first = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m")), new AutoscalerHistory(), Settings, earlier);

        var second = AutoscalerPlanner.Plan(Hpa(status: first.Status), Scale(3), ThreePods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m")), new AutoscalerHistory(), Settings, Now);

        Condition(second.Status, "AbleToScale")!["lastTransitionTime"]!.GetValue<string>().Should().Be(Stamp(earlier));
        second.StatusChanged.Should().BeFalse();
    }

    [Fact]
    public void Plan_ConditionWhoseStatusFlips_MovesItsTransitionTime()
    {
        var earlier = Now.AddHours(-1);
        var first = AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m")), new AutoscalerHistory(), Settings, earlier);

        var second = AutoscalerPlanner.Plan(Hpa(status: first.Status), Scale(3), ThreePods, ResourceMetricsResponse.Failed("x"), new AutoscalerHistory(), Settings, Now);

        Condition(second.Status, "ScalingActive")!["lastTransitionTime"]!.GetValue<string>().Should().Be(Stamp(Now));
        Condition(second.Status, "AbleToScale")!["lastTransitionTime"]!.GetValue<string>().Should().Be(Stamp(earlier));
        second.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void RescaleFailed_RecordsFailedRescaleAndAbleToScaleFalse()
    {
        var hpa = Hpa(status: new JsonObject { ["currentReplicas"] = 3, ["desiredReplicas"] = 3 });
        var history = new AutoscalerHistory();
        var plan = AutoscalerPlanner.Plan(hpa, Scale(3), ThreePods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")), history, Settings, Now);

        var failed = AutoscalerPlanner.RescaleFailed(plan, "the object has been modified", Now);

        failed.Events.Single().Should().Be(new AutoscalerEvent("Warning", "FailedRescale", "New size: 5; reason: cpu resource utilization (percentage of request) above target; error: the object has been modified"));
        State(failed.Status, "AbleToScale").Should().Be("False");
        Reason(failed.Status, "AbleToScale").Should().Be("FailedUpdateScale");
        Message(failed.Status, "AbleToScale").Should().Be("the HPA controller was unable to update the target scale: the object has been modified");
        failed.Status["desiredReplicas"]!.GetValue<int>().Should().Be(3);
        failed.Error.Should().Be("failed to rescale Deployment/default/web: the object has been modified");
        history.ScaleUps.Should().BeEmpty();
    }

    [Fact]
    public void ScaleUnavailable_SetsFailedGetScaleAndRecordsTheError()
    {
        var plan = AutoscalerPlanner.ScaleUnavailable(Hpa(), "deployments.apps \"web\" not found", "sync failed", Now);

        plan.Events.Single().Should().Be(new AutoscalerEvent("Warning", "FailedGetScale", "deployments.apps \"web\" not found"));
        State(plan.Status, "AbleToScale").Should().Be("False");
        Message(plan.Status, "AbleToScale").Should().Be("the HPA controller was unable to get the target's current scale: deployments.apps \"web\" not found");
        plan.StatusChanged.Should().BeTrue();
    }

    [Fact]
    public void Plan_FirstSync_SeedsTheHistoryWithTheCurrentCount()
    {
        var history = new AutoscalerHistory();

        AutoscalerPlanner.Plan(Hpa(), Scale(3), ThreePods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m")), history, Settings, Now);

        history.Recommendations.Should().Contain(new TimestampedRecommendation(3, Now));
    }

    private static JsonObject PodsMetric(string name) => new()
    {
        ["type"] = "Pods",
        ["pods"] = new JsonObject { ["metric"] = new JsonObject { ["name"] = name }, ["target"] = new JsonObject { ["type"] = "AverageValue", ["averageValue"] = "10" } },
    };
}
