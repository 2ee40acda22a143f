using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Autoscaling;
using static K3sLab.Lab.Tests.Controllers.Autoscaling.HpaFixtures;

namespace K3sLab.Lab.Tests.Controllers.Autoscaling;

/// <summary>Upstream's replica calculation for resource metrics: tolerance, missing and unready pods, initialization, requests.</summary>
[Trait("Category", "Unit")]
public sealed class ReplicaCalculatorTests
{
    [Fact]
    public void Utilization_WithinTolerance_KeepsTheCurrentCount()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c") };

        var result = Utilization(3, 100, pods, Cpu(("a", "105m"), ("b", "105m"), ("c", "105m")));

        result.Replicas.Should().Be(3);
        result.Utilization.Should().Be(105);
    }

    [Fact]
    public void Utilization_AboveTolerance_ScalesTheReadyCountByTheRatioRoundedUp()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c") };

        var result = Utilization(3, 50, pods, Cpu(("a", "80m"), ("b", "80m"), ("c", "80m")));

        result.Replicas.Should().Be(5, "80% against 50% is 1.6 × 3 = 4.8");
        result.RawAverage.Should().Be(80);
    }

    [Fact]
    public void Utilization_BelowTarget_ScalesDown()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("d") };

        var result = Utilization(4, 50, pods, Cpu(("a", "20m"), ("b", "20m"), ("c", "20m"), ("d", "20m")));

        result.Replicas.Should().Be(2);
    }

    [Fact]
    public void Utilization_IsAWholePercentageOfTheSummedRequests_RoundedDown()
    {
        var pods = new[] { Pod("a"), Pod("b", cpu: "200m") };

        var result = Utilization(2, 50, pods, Cpu(("a", "100m"), ("b", "99m")));

        result.Utilization.Should().Be(66, "199m of 300m is 66.3%");
        result.RawAverage.Should().Be(99, "the average of 100m and 99m, rounded down");
    }

    [Fact]
    public void Utilization_ScaleDownWithPodsMissingSamples_CountsThemAtTheirFullRequest()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("d") };

        var result = Utilization(4, 50, pods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")));

        result.Replicas.Should().Be(3, "(30m + 100m) / 400m is 32%, 0.64 × 4 rounds up to 3");
    }

    [Fact]
    public void Utilization_ScaleDownWithPodsMissingSamplesAndATargetAbove100_CountsThemAtTheTarget()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("d") };

        var result = Utilization(4, 200, pods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")));

        result.Replicas.Should().Be(2, "(30m + 200m) / 400m is 57%, 0.285 × 4 rounds up to 2");
    }

    [Fact]
    public void Utilization_ScaleUpWithPodsMissingSamples_CountsThemAsIdle()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("d") };

        var result = Utilization(3, 60, pods, Cpu(("a", "70m"), ("b", "70m"), ("c", "70m")));

        result.Replicas.Should().Be(3, "with the missing pod at 0 the utilization falls to 52%, below target: the direction reverses");
    }

    [Fact]
    public void Utilization_ScaleUpWithUnreadyPods_CountsThemAsIdle()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c", ready: "False", started: Now.AddMinutes(-1)), Pod("d", ready: "False", started: Now.AddMinutes(-1)) };

        var result = Utilization(2, 50, pods, Cpu(("a", "100m"), ("b", "100m"), ("c", "100m"), ("d", "100m")));

        result.Replicas.Should().Be(2, "200m over four pods' 400m is exactly the target");
    }

    [Fact]
    public void Utilization_ScaleDownWithUnreadyPods_LeavesThemOut()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c", phase: "Pending"), Pod("d", phase: "Pending") };

        var result = Utilization(4, 50, pods, Cpu(("a", "10m"), ("b", "10m"), ("c", "100m"), ("d", "100m")));

        result.Replicas.Should().Be(1, "only the two ready pods count: 10% against 50% is 0.2 × 2, rounded up");
    }

    [Fact]
    public void Utilization_DeletingAndFailedPods_AreIgnored()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("gone", deleting: true), Pod("dead", phase: "Failed") };

        var result = Utilization(3, 50, pods, Cpu(("a", "50m"), ("b", "50m"), ("c", "50m"), ("gone", "900m"), ("dead", "900m")));

        result.Replicas.Should().Be(3, "the three live pods are exactly at 50%");
    }

    [Fact]
    public void Utilization_CpuOfAPodStillInitializing_WithASampleFromBeforeAFullWindowOfReadiness_IsUnready()
    {
        var young = Pod("young", started: Now.AddMinutes(-1), readySince: Now.AddSeconds(-10));
        var pods = new[] { Pod("a"), young };

        var result = Utilization(2, 50, pods, Cpu(("a", "100m"), ("young", "0")));

        result.Replicas.Should().Be(2, "the young pod's idle sample is set aside and counts as 0 in the scale-up: 100m of 200m is the target");
    }

    [Fact]
    public void Utilization_CpuOfAPodStillInitializing_WithASampleAWindowAfterReadiness_IsReady()
    {
        var young = Pod("young", started: Now.AddMinutes(-2), readySince: Now.AddMinutes(-1));
        var pods = new[] { Pod("a"), young };

        var result = Utilization(2, 50, pods, Cpu(("a", "100m"), ("young", "100m")));

        result.Replicas.Should().Be(4);
    }

    [Fact]
    public void Utilization_PastInitialization_AnUnreadyPodThatWasNeverReady_IsUnready()
    {
        var never = Pod("never", ready: "False", started: Now.AddMinutes(-10), readySince: Now.AddMinutes(-10).AddSeconds(5));
        var pods = new[] { Pod("a"), Pod("b"), never };

        var result = Utilization(3, 50, pods, Cpu(("a", "10m"), ("b", "10m"), ("never", "100m")));

        result.Replicas.Should().Be(1, "its busy sample is left out of a scale-down");
    }

    [Fact]
    public void Utilization_PastInitialization_AnUnreadyPodThatWasReadyBefore_Counts()
    {
        var lapsed = Pod("lapsed", ready: "False", started: Now.AddMinutes(-10), readySince: Now.AddMinutes(-2));
        var pods = new[] { Pod("a"), Pod("b"), lapsed };

        var result = Utilization(3, 50, pods, Cpu(("a", "10m"), ("b", "10m"), ("lapsed", "100m")));

        result.Replicas.Should().Be(3, "120m of 300m is 40%: 0.8 × 3 rounds up to 3");
    }

    [Fact]
    public void Utilization_APodWithoutAReadyCondition_IsUnreadyForCpuButNotForMemory()
    {
        var pods = new[] { Pod("a", memory: "100Mi"), Pod("b", ready: null, memory: "100Mi") };
        var samples = ResourceMetricsResponse.Of(List([
            Item("a", Now.AddSeconds(-5), ("app", new JsonObject { ["cpu"] = "10m", ["memory"] = "10Mi" })),
            Item("b", Now.AddSeconds(-5), ("app", new JsonObject { ["cpu"] = "90m", ["memory"] = "90Mi" })),
        ]));

        var cpu = ReplicaCalculator.Utilization(2, 50, "cpu", string.Empty, Default, pods, samples, Settings, Now);
        var memory = ReplicaCalculator.Utilization(2, 50, "memory", string.Empty, Default, pods, samples, Settings, Now);

        cpu.Replicas.Should().Be(1, "only pod a's 10% counts");
        memory.Replicas.Should().Be(2, "both pods count: 100Mi of 200Mi is exactly 50%");
    }

    [Fact]
    public void Utilization_MultipleContainers_SumsRequestsAndUsage()
    {
        var pod = Pod("a");
        pod["spec"]!["containers"]!.AsArray().Add((JsonNode)new JsonObject { ["name"] = "side", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "300m" } } });
        var samples = ResourceMetricsResponse.Of(List([Item("a", Now.AddSeconds(-5), ("app", new JsonObject { ["cpu"] = "100m" }), ("side", new JsonObject { ["cpu"] = "100m" }))]));

        var result = ReplicaCalculator.Utilization(1, 50, "cpu", string.Empty, Default, [pod], samples, Settings, Now);

        result.Utilization.Should().Be(50);
        result.RawAverage.Should().Be(200);
    }

    [Fact]
    public void Utilization_SidecarInitContainer_CountsTowardTheRequest()
    {
        var pod = Pod("a");
        pod["spec"]!["initContainers"] = new JsonArray(
            (JsonNode)new JsonObject { ["name"] = "proxy", ["restartPolicy"] = "Always", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m" } } },
            (JsonNode)new JsonObject { ["name"] = "setup", ["resources"] = new JsonObject() });

        var result = Utilization(1, 50, [pod], Cpu(("a", "100m")));

        result.Utilization.Should().Be(50, "100m of the app's and proxy's 200m; the ordinary init container is not counted");
    }

    [Fact]
    public void Utilization_ContainerWithoutARequest_FailsWithUpstreamsMessage()
    {
        var result = Utilization(2, 50, [Pod("a"), Pod("web-1", cpu: null)], Cpu(("a", "10m"), ("web-1", "10m")));

        result.Error.Should().Be("missing request for cpu in container app of Pod web-1");
    }

    [Fact]
    public void Utilization_PodLevelRequests_AreUsedWhenSet()
    {
        var pod = Pod("a", cpu: null);
        pod["spec"]!["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "400m" } };

        var result = Utilization(1, 50, [pod], Cpu(("a", "100m")));

        result.Utilization.Should().Be(25);
    }

    [Fact]
    public void Utilization_MetricsApiFailed_ReportsTheFetchError()
    {
        var result = Utilization(1, 50, [Pod("a")], ResourceMetricsResponse.Failed("boom"));

        result.Error.Should().Be("unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: boom");
    }

    [Fact]
    public void Utilization_NoSamples_ReportsAnEmptyAnswer()
    {
        var result = Utilization(1, 50, [Pod("a")], ResourceMetricsResponse.Of(List([])));

        result.Error.Should().Be("unable to get metrics for resource cpu: no metrics returned from resource metrics API");
    }

    [Fact]
    public void Utilization_NoPods_FailsAfterFetchingMetrics()
    {
        var result = Utilization(1, 50, [], Cpu(("a", "10m")));

        result.Error.Should().Be("no pods returned by selector while calculating replica count");
    }

    [Fact]
    public void Utilization_EveryPodUnready_Fails()
    {
        var result = Utilization(1, 50, [Pod("a", phase: "Pending")], Cpu(("a", "10m")));

        result.Error.Should().Be("did not receive metrics for targeted pods (pods might be unready)");
    }

    [Fact]
    public void Utilization_OfOneContainer_UsesOnlyItsRequestAndUsage()
    {
        var pod = Pod("a");
        pod["spec"]!["containers"]!.AsArray().Add((JsonNode)new JsonObject { ["name"] = "side", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "900m" } } });
        var samples = ResourceMetricsResponse.Of(List([Item("a", Now.AddSeconds(-5), ("app", new JsonObject { ["cpu"] = "100m" }), ("side", new JsonObject { ["cpu"] = "0" }))]));

        var result = ReplicaCalculator.Utilization(1, 50, "cpu", "app", Default, [pod], samples, Settings, Now);

        result.Utilization.Should().Be(100);
        result.Replicas.Should().Be(2);
    }

    [Fact]
    public void Utilization_OfAContainerAbsentFromTheSamples_Fails()
    {
        var result = ReplicaCalculator.Utilization(1, 50, "cpu", "nope", Default, [Pod("a")], Cpu(("a", "10m")), Settings, Now);

        result.Error.Should().Be("unable to get metrics for resource cpu: failed to get container metrics: container nope not present in metrics for pod default/a");
    }

    [Fact]
    public void Utilization_OwnTolerances_ApplyPerDirection()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c") };

        var result = ReplicaCalculator.Utilization(3, 100, "cpu", string.Empty, new Tolerances(0.1, 0.01), pods, Cpu(("a", "105m"), ("b", "105m"), ("c", "105m")), Settings, Now);

        result.Replicas.Should().Be(4, "a 1% scale-up tolerance lets 105% scale up");
    }

    [Fact]
    public void AverageValue_ScalesByTheAverageUsageOverTheTarget()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c") };

        var result = ReplicaCalculator.AverageValue(3, 100, "cpu", string.Empty, Default, pods, Cpu(("a", "200m"), ("b", "200m"), ("c", "200m")), Settings, Now);

        result.Replicas.Should().Be(6);
        result.RawAverage.Should().Be(200);
    }

    [Fact]
    public void AverageValue_ScaleDownWithPodsMissingSamples_CountsThemAtTheTarget()
    {
        var pods = new[] { Pod("a"), Pod("b"), Pod("c"), Pod("d") };

        var result = ReplicaCalculator.AverageValue(4, 100, "cpu", string.Empty, Default, pods, Cpu(("a", "10m"), ("b", "10m"), ("c", "10m")), Settings, Now);

        result.Replicas.Should().Be(2, "(30m + 100m) / 4 = 32m (rounded down) against 100m is 0.32 × 4, rounded up");
    }

    private static ReplicaProposal Utilization(int current, int target, IReadOnlyList<JsonObject> pods, ResourceMetricsResponse metrics) =>
        ReplicaCalculator.Utilization(current, target, "cpu", string.Empty, Default, pods, metrics, Settings, Now);
}
