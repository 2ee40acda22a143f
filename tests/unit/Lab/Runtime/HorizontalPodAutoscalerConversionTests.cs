using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Versions;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class HorizontalPodAutoscalerConversionTests
{
    private const string Metadata = """
        "metadata":{"name":"web","namespace":"shop","uid":"u-1","resourceVersion":"42","labels":{"app":"web"},"annotations":{"team":"a"},
                    "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"u-0"}],"managedFields":[{"manager":"kubectl","operation":"Apply"}]}
        """;

    /// <summary>A v2 object in the form kube's defaulting and autoscaler leave it: the cpu utilization metric last.</summary>
    private const string Full = """
        {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
        """ + Metadata + """
        ,"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":10,
          "metrics":[
            {"type":"Pods","pods":{"metric":{"name":"rps","selector":{"matchLabels":{"a":"b"}}},"target":{"type":"AverageValue","averageValue":"1k"}}},
            {"type":"Object","object":{"describedObject":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},"target":{"type":"Value","value":"10k"},"metric":{"name":"hits"}}},
            {"type":"External","external":{"metric":{"name":"queue","selector":{"matchLabels":{"q":"jobs"}}},"target":{"type":"AverageValue","averageValue":"30"}}},
            {"type":"ContainerResource","containerResource":{"name":"memory","target":{"type":"AverageValue","averageValue":"500Mi"},"container":"app"}},
            {"type":"Resource","resource":{"name":"memory","target":{"type":"Utilization","averageUtilization":70}}},
            {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}],
          "behavior":{"scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":[{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]},
                      "scaleDown":{"selectPolicy":"Min","policies":[{"type":"Percent","value":10,"periodSeconds":60}]}}},
        "status":{"observedGeneration":3,"lastScaleTime":"2026-12-07T10:00:00Z","currentReplicas":3,"desiredReplicas":4,
          "currentMetrics":[
            {"type":"Resource","resource":{"name":"cpu","current":{"averageValue":"120m","averageUtilization":60}}},
            {"type":"Pods","pods":{"metric":{"name":"rps"},"current":{"averageValue":"900"}}},
            {"type":"External","external":{"metric":{"name":"queue"},"current":{"value":"0","averageValue":"12"}}}],
          "conditions":[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-12-07T09:00:00Z","reason":"ReadyForNewScale","message":"recommended size matches current size"}]}}
        """;

    [Fact]
    public void ToV1_FullObject_KeepsCpuTargetInTheSpecAndTheRestInKubesAnnotations()
    {
        var v1 = HorizontalPodAutoscalerConversion.ToV1(Parse(Full));

        v1["apiVersion"]!.GetValue<string>().Should().Be("autoscaling/v1");
        v1["spec"]!.ToJsonString().Should().Be("""{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":10,"targetCPUUtilizationPercentage":50}""");
        v1["status"]!.ToJsonString().Should().Be("""{"observedGeneration":3,"lastScaleTime":"2026-12-07T10:00:00Z","currentReplicas":3,"desiredReplicas":4,"currentCPUUtilizationPercentage":60}""");
        var annotations = v1["metadata"]!["annotations"]!;
        annotations["team"]!.GetValue<string>().Should().Be("a");
        annotations[HorizontalPodAutoscalerConversion.MetricsAnnotation]!.GetValue<string>().Should().Be(
            """[{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"1k","selector":{"matchLabels":{"a":"b"}}}},"""
            + """{"type":"Object","object":{"target":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},"metricName":"hits","targetValue":"10k"}},"""
            + """{"type":"External","external":{"metricName":"queue","metricSelector":{"matchLabels":{"q":"jobs"}},"targetAverageValue":"30"}},"""
            + """{"type":"ContainerResource","containerResource":{"name":"memory","targetAverageValue":"500Mi","container":"app"}},"""
            + """{"type":"Resource","resource":{"name":"memory","targetAverageUtilization":70}}]""");
        annotations[HorizontalPodAutoscalerConversion.CurrentMetricsAnnotation]!.GetValue<string>().Should().Be(
            """[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":60,"currentAverageValue":"120m"}},"""
            + """{"type":"Pods","pods":{"metricName":"rps","currentAverageValue":"900"}},"""
            + """{"type":"External","external":{"metricName":"queue","currentValue":"0","currentAverageValue":"12"}}]""");
        annotations[HorizontalPodAutoscalerConversion.BehaviorAnnotation]!.GetValue<string>().Should().Be(
            """{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null}"""
            + ""","ScaleDown":{"StabilizationWindowSeconds":null,"SelectPolicy":"Min","Policies":[{"Type":"Percent","Value":10,"PeriodSeconds":60}],"Tolerance":null}}""");
        annotations[HorizontalPodAutoscalerConversion.ConditionsAnnotation]!.GetValue<string>().Should().Be(
            """[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-12-07T09:00:00Z","reason":"ReadyForNewScale","message":"recommended size matches current size"}]""");
    }

    [Fact]
    public void ToV1_MetadataOtherThanAnnotations_IsCarriedOverUnchanged_AndTheInputIsUntouched()
    {
        var v2 = Parse(Full);
        var before = v2.ToJsonString();

        var v1 = HorizontalPodAutoscalerConversion.ToV1(v2);

        v2.ToJsonString().Should().Be(before);
        var expected = Parse(Full)["metadata"]!.AsObject();
        var actual = v1["metadata"]!.DeepClone().AsObject();
        foreach (var key in new[] { HorizontalPodAutoscalerConversion.MetricsAnnotation, HorizontalPodAutoscalerConversion.CurrentMetricsAnnotation, HorizontalPodAutoscalerConversion.BehaviorAnnotation, HorizontalPodAutoscalerConversion.ConditionsAnnotation })
        {
            actual["annotations"]!.AsObject().Remove(key);
        }

        JsonNode.DeepEquals(actual, expected).Should().BeTrue(actual.ToJsonString());
        v1["kind"]!.GetValue<string>().Should().Be("HorizontalPodAutoscaler");
    }

    [Fact]
    public void ToV1_OnlyACpuTarget_WritesNoAnnotation_AndReplacesStaleOnes()
    {
        var v2 = Parse("""
            {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","annotations":{"autoscaling.alpha.kubernetes.io/metrics":"stale"}},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]}}
            """);

        var v1 = HorizontalPodAutoscalerConversion.ToV1(v2);

        v1["metadata"]!.ToJsonString().Should().Be("""{"name":"web"}""");
        v1["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>().Should().Be(80);
        v1["status"].Should().BeNull();
    }

    [Fact]
    public void ToV2_PlainV1_GetsTheCpuMetricAndCurrentUtilization()
    {
        var v1 = Parse("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":5,"targetCPUUtilizationPercentage":65},
             "status":{"currentReplicas":2,"desiredReplicas":2,"currentCPUUtilizationPercentage":40}}
            """);

        var v2 = HorizontalPodAutoscalerConversion.ToV2(v1);

        v2["apiVersion"]!.GetValue<string>().Should().Be("autoscaling/v2");
        v2["spec"]!.ToJsonString().Should().Be("""{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":65}}}]}""");
        v2["status"]!.ToJsonString().Should().Be("""{"currentReplicas":2,"desiredReplicas":2,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":40}}}]}""");
    }

    [Fact]
    public void ToV2_NoTargetAndNoMetricsAnnotation_GetsCpuAt80Percent()
    {
        var v2 = HorizontalPodAutoscalerConversion.ToV2(Parse("""{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{"maxReplicas":2}}"""));

        v2["spec"]!["metrics"]!.ToJsonString().Should().Be("""[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]""");
        v2["status"].Should().BeNull();
    }

    [Fact]
    public void ToV2_KubesV1Annotations_BecomeV2Fields_ThenAreRemoved()
    {
        var v1 = new JsonObject
        {
            ["apiVersion"] = "autoscaling/v1",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject
            {
                ["name"] = "web",
                ["annotations"] = new JsonObject
                {
                    ["keep"] = "me",
                    [HorizontalPodAutoscalerConversion.MetricsAnnotation] = """[{"type":"Pods","pods":{"metricName":"packets","targetAverageValue":"1k"}},{"type":"Object","object":{"target":{"kind":"Service","name":"svc"},"metricName":"rps","targetValue":"0","averageValue":"50"}},{"type":"External","external":{"metricName":"q","targetValue":"7"}},{"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}}]""",
                    [HorizontalPodAutoscalerConversion.CurrentMetricsAnnotation] = """[{"type":"Object","object":{"target":{"kind":"Service","name":"svc"},"metricName":"rps","currentValue":"0","averageValue":"40"}}]""",
                    [HorizontalPodAutoscalerConversion.ConditionsAnnotation] = """[{"type":"ScalingActive","status":"False","lastTransitionTime":null,"reason":"FailedGetScale"}]""",
                    [HorizontalPodAutoscalerConversion.BehaviorAnnotation] = """{"scaleDown":{"stabilizationWindowSeconds":300,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}""",
                },
            },
            ["spec"] = JsonNode.Parse("""{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":4,"targetCPUUtilizationPercentage":70}"""),
            ["status"] = JsonNode.Parse("""{"currentReplicas":1,"desiredReplicas":1,"currentCPUUtilizationPercentage":99}"""),
        };

        var v2 = HorizontalPodAutoscalerConversion.ToV2(v1);

        v2["metadata"]!.ToJsonString().Should().Be("""{"name":"web","annotations":{"keep":"me"}}""");
        v2["spec"]!["metrics"]!.ToJsonString().Should().Be(
            """[{"type":"Pods","pods":{"metric":{"name":"packets"},"target":{"type":"AverageValue","averageValue":"1k"}}},"""
            + """{"type":"Object","object":{"describedObject":{"kind":"Service","name":"svc"},"target":{"type":"AverageValue","value":"0","averageValue":"50"},"metric":{"name":"rps"}}},"""
            + """{"type":"External","external":{"metric":{"name":"q"},"target":{"type":"Value","value":"7"}}},"""
            + """{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"1Gi"}}},"""
            + """{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]""");
        v2["spec"]!["behavior"]!.ToJsonString().Should().Be("""{"scaleDown":{"stabilizationWindowSeconds":300,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}""", "Go's decoder matches names ignoring case");
        v2["status"]!["currentMetrics"]!.ToJsonString().Should().Be(
            """[{"type":"Object","object":{"metric":{"name":"rps"},"current":{"value":"0","averageValue":"40"},"describedObject":{"kind":"Service","name":"svc"}}}]""",
            "the annotation wins over currentCPUUtilizationPercentage");
        v2["status"]!["conditions"]!.ToJsonString().Should().Be("""[{"type":"ScalingActive","status":"False","reason":"FailedGetScale"}]""");
    }

    [Fact]
    public void ToV2_MalformedAnnotationsAndAnEmptyBehavior_AreIgnoredAndDropped()
    {
        var v1 = Parse("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","annotations":{
               "autoscaling.alpha.kubernetes.io/metrics":"not json","autoscaling.alpha.kubernetes.io/behavior":"{\"ScaleUp\":null,\"ScaleDown\":null}"}},
             "spec":{"maxReplicas":2,"targetCPUUtilizationPercentage":50}}
            """);

        var v2 = HorizontalPodAutoscalerConversion.ToV2(v1);

        v2["metadata"]!.ToJsonString().Should().Be("""{"name":"web"}""");
        v2["spec"]!["metrics"]!.AsArray().Should().ContainSingle();
        v2["spec"]!["behavior"].Should().BeNull();
    }

    [Fact]
    public void RoundTrip_V2ToV1ToV2_GivesBackTheSameObject()
    {
        var v2 = Parse(Full);

        var back = HorizontalPodAutoscalerConversion.ToV2(HorizontalPodAutoscalerConversion.ToV1(v2));

        JsonNode.DeepEquals(back, v2).Should().BeTrue(back.ToJsonString());
    }

    [Fact]
    public void RoundTrip_V1ToV2ToV1_GivesBackTheSameObject()
    {
        var v1 = HorizontalPodAutoscalerConversion.ToV1(Parse(Full));
        var plain = Parse("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,"targetCPUUtilizationPercentage":65}}
            """);

        foreach (var original in new[] { v1, plain })
        {
            var back = HorizontalPodAutoscalerConversion.ToV1(HorizontalPodAutoscalerConversion.ToV2(original));
            JsonNode.DeepEquals(back, original).Should().BeTrue(back.ToJsonString());
        }
    }

    [Fact]
    public void RoundTrip_NormalizesAsKubeDoes_CpuMetricLast_ObjectValueZero()
    {
        var v2 = Parse("""
            {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"maxReplicas":3,"metrics":[
               {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}},
               {"type":"Object","object":{"describedObject":{"kind":"Service","name":"s"},"target":{"type":"AverageValue","averageValue":"5"},"metric":{"name":"m"}}}]}}
            """);

        var back = HorizontalPodAutoscalerConversion.ToV2(HorizontalPodAutoscalerConversion.ToV1(v2));

        back["spec"]!["metrics"]!.ToJsonString().Should().Be(
            """[{"type":"Object","object":{"describedObject":{"kind":"Service","name":"s"},"target":{"type":"AverageValue","value":"0","averageValue":"5"},"metric":{"name":"m"}}},"""
            + """{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]""");
    }

    [Fact]
    public void DropRoundTripAnnotations_StripsOnlyThem_AndReturnsTheInputWhenThereAreNone()
    {
        var clean = Parse("""{"metadata":{"name":"a","annotations":{"x":"y"}}}""");
        HorizontalPodAutoscalerConversion.DropRoundTripAnnotations(clean).Should().BeSameAs(clean);

        var mixed = Parse("""{"metadata":{"name":"a","annotations":{"x":"y","autoscaling.alpha.kubernetes.io/conditions":"[]"}}}""");
        HorizontalPodAutoscalerConversion.DropRoundTripAnnotations(mixed).ToJsonString().Should().Be("""{"metadata":{"name":"a","annotations":{"x":"y"}}}""");
        mixed["metadata"]!["annotations"]!.AsObject().Should().HaveCount(2, "the input is left alone");

        var only = Parse("""{"metadata":{"name":"a","annotations":{"autoscaling.alpha.kubernetes.io/behavior":"{}"}}}""");
        HorizontalPodAutoscalerConversion.DropRoundTripAnnotations(only).ToJsonString().Should().Be("""{"metadata":{"name":"a"}}""");
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
