namespace K3sLab.Lab.Tests.Runtime.Validation;

[Trait("Category", "Unit")]
public sealed class HorizontalPodAutoscalerValidationTests
{
    private const string Target = "\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\",\"apiVersion\":\"apps/v1\"}";

    [Fact]
    public void Valid_DefaultedAndFullObjects_PassUnchallenged()
    {
        Validated.Causes(Hpa("\"maxReplicas\":3")).Should().BeEmpty();
        Validated.Causes(Hpa("\"maxReplicas\":3,\"behavior\":{}," + Metrics(
            """{"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"1k"}}}""",
            """{"type":"Object","object":{"describedObject":{"kind":"Ingress","name":"main"},"metric":{"name":"hits"},"target":{"type":"Value","value":"10"}}}""",
            """{"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"AverageValue","averageValue":"30"}}}""",
            """{"type":"ContainerResource","containerResource":{"name":"memory","container":"app","target":{"type":"AverageValue","averageValue":"500Mi"}}}"""))).Should().BeEmpty();
    }

    [Fact]
    public void Replicas_BoundsAndOrder_AreRefusedInKubesWords()
    {
        Validated.Message(Hpa("\"minReplicas\":0,\"maxReplicas\":3")).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.minReplicas: Invalid value: 0: must be greater than or equal to 1, "
            + "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas]");
        Validated.Single(Hpa("\"minReplicas\":0,\"maxReplicas\":1"), Hpa("\"minReplicas\":0,\"maxReplicas\":1," + Metrics(ObjectMetric)))
            .Should().Be(("spec.metrics", "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"));
        Validated.Message(Hpa("\"minReplicas\":5,\"maxReplicas\":0")).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`]");
    }

    [Fact]
    public void MinReplicasZero_IsKeptOnUpdateOfAnObjectThatHasIt_WithAnObjectMetric()
    {
        var zero = Hpa("\"minReplicas\":0,\"maxReplicas\":3," + Metrics(ObjectMetric));
        Validated.Causes(zero, zero).Should().BeEmpty();
        Validated.Single(zero).Should().Be(("spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"));
    }

    [Fact]
    public void ScaleTargetRef_KindAndName_AreRequiredPathSegments()
    {
        Validated.Message(Hpa("\"maxReplicas\":1", target: "\"scaleTargetRef\":{}")).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.scaleTargetRef.kind: Required value, spec.scaleTargetRef.name: Required value]");
        Validated.Message(Hpa("\"maxReplicas\":1", target: "\"scaleTargetRef\":{\"kind\":\"..\",\"name\":\"a/b%\"}")).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.scaleTargetRef.kind: Invalid value: \"..\": may not be '..', "
            + "spec.scaleTargetRef.name: Invalid value: \"a/b%\": may not contain '/', spec.scaleTargetRef.name: Invalid value: \"a/b%\": may not contain '%']");
    }

    [Fact]
    public void MetricType_UnknownOrMissingOrMismatched_IsRefused()
    {
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Bogus"}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: spec.metrics[0].type: Unsupported value: \"Bogus\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"");
        Validated.Causes(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Bogus"}"""))).Should().HaveCount(2, "kube reports an unknown type twice (the message shows it once)");
        var missing = Validated.Causes(Hpa("\"maxReplicas\":1," + Metrics("{}")));
        missing.Select(c => (c.Field, c.Message)).First().Should().Be(("spec.metrics[0].type", "Required value: must specify a metric source type"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Pods"}""")))
            .Should().Be(("spec.metrics[0].pods", "Required value: must populate information for the given metric source"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":5}},"containerResource":{}}""")))
            .Should().Be(("spec.metrics[0].containerResource", "Forbidden: must populate the given metric source only"));
    }

    [Fact]
    public void MetricTargets_TypeAndAmounts_AreChecked()
    {
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Resource","resource":{"name":"cpu","target":{"type":"Percent","averageUtilization":0}}}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.metrics[0].resource.target.type: Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue, "
            + "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0]");
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Resource","resource":{"target":{}}}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.metrics[0].resource.name: Required value: must specify a resource name, "
            + "spec.metrics[0].resource.target.type: Required value: must specify a metric target type, "
            + "spec.metrics[0].resource.target.type: Invalid value: \"\": must be either Utilization, Value, or AverageValue, "
            + "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization]");
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50,"averageValue":"1"}}}""")))
            .Should().Be(("spec.metrics[0].resource.target.averageValue", "Forbidden: may not set both a target raw value and a target utilization"));
    }

    [Fact]
    public void NonPositiveQuantities_ArePrintedAsGoDumpsTheQuantityStruct()
    {
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"-1"}}}""")))
            .Should().Be(("spec.metrics[0].pods.target.averageValue", "Invalid value: resource.Quantity{i:resource.int64Amount{value:-1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"-1\", Format:\"DecimalSI\"}: must be positive"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Object","object":{"describedObject":{"kind":"S","name":"s"},"metric":{"name":"m"},"target":{"type":"Value","value":"0"}}}""")))
            .Should().Be(("spec.metrics[0].object.target.value", "Invalid value: resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"0\", Format:\"DecimalSI\"}: must be positive"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"External","external":{"metric":{"name":"q"},"target":{"type":"Value","value":"-0.50"}}}""")))
            .Should().Be(("spec.metrics[0].external.target.value", "Invalid value: resource.Quantity{i:resource.int64Amount{value:-50, scale:-2}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"\", Format:\"DecimalSI\"}: must be positive"));
    }

    [Fact]
    public void SourceRequirements_PerMetricType_UseKubesMessages()
    {
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue"}}}""")))
            .Should().Be(("spec.metrics[0].pods.target.averageValue", "Required value: must specify a positive target averageValue"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Object","object":{"describedObject":{"kind":"S","name":"s"},"metric":{"name":"m"},"target":{"type":"Value"}}}""")))
            .Should().Be(("spec.metrics[0].object.target.averageValue", "Required value: must set either a target value or averageValue"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"External","external":{"metric":{"name":"q"},"target":{"type":"Value"}}}""")))
            .Should().Be(("spec.metrics[0].external.target.averageValue", "Required value: must set either a target value for metric or a per-pod target"));
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"External","external":{"metric":{"name":"q"},"target":{"type":"Value","value":"1","averageValue":"1"}}}""")))
            .Should().Be(("spec.metrics[0].external.target.value", "Forbidden: may not set both a target value for metric and a per-pod target"));
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Object","object":{"metric":{"name":"a/b"},"target":{"type":"Value","value":"1"}}}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.metrics[0].object.describedObject.kind: Required value, spec.metrics[0].object.describedObject.name: Required value, "
            + "spec.metrics[0].object.metric.name: Invalid value: \"a/b\": may not contain '/']");
        Validated.Single(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"Pods","pods":{"metric":{},"target":{"type":"AverageValue","averageValue":"1"}}}""")))
            .Should().Be(("spec.metrics[0].pods.metric.name", "Required value: must specify a metric name"));
    }

    [Fact]
    public void ContainerResource_NeedsAContainerLabelAndAContainerResourceName()
    {
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"ContainerResource","containerResource":{"target":{"type":"Utilization","averageUtilization":50}}}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.metrics[0].containerResource.name: Required value: must specify a resource name, "
            + "spec.metrics[0].containerResource.container: Required value: must specify a container]");
        Validated.Message(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"ContainerResource","containerResource":{"name":"pods","container":"App","target":{"type":"Utilization","averageUtilization":50}}}"""))).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.metrics[0].containerResource.name: Invalid value: \"pods\": must be a standard resource for containers, "
            + "spec.metrics[0].containerResource.container: Invalid value: \"App\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]");
        Validated.Causes(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"ContainerResource","containerResource":{"name":"gpus","container":"app","target":{"type":"Utilization","averageUtilization":50}}}""")))
            .Select(c => c.Message).Should().Equal("Invalid value: \"gpus\": must be a standard resource type or fully qualified", "Invalid value: \"gpus\": must be a standard resource for containers");
        Validated.Causes(Hpa("\"maxReplicas\":1," + Metrics("""{"type":"ContainerResource","containerResource":{"name":"example.com/gpu","container":"app","target":{"type":"AverageValue","averageValue":"1"}}}""")))
            .Should().BeEmpty();
    }

    [Fact]
    public void Behavior_RulesAndPolicies_AreBounded()
    {
        Validated.Message(Hpa("\"maxReplicas\":1,\"behavior\":{\"scaleUp\":{\"stabilizationWindowSeconds\":3601,\"selectPolicy\":\"Fast\",\"policies\":[{\"type\":\"Nodes\",\"value\":0,\"periodSeconds\":1801}]},"
            + "\"scaleDown\":{\"stabilizationWindowSeconds\":-1,\"policies\":[]}}")).Should().Be(
            "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: [spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600, "
            + "spec.behavior.scaleUp.selectPolicy: Unsupported value: \"Fast\": supported values: \"Disabled\", \"Max\", \"Min\", "
            + "spec.behavior.scaleUp.policies[0].type: Unsupported value: \"Nodes\": supported values: \"Percent\", \"Pods\", "
            + "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero, "
            + "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800, "
            + "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero, "
            + "spec.behavior.scaleDown.policies: Required value: must specify at least one Policy]");
        Validated.Single(Hpa("\"maxReplicas\":1,\"behavior\":{\"scaleUp\":{\"policies\":[{\"type\":\"Pods\",\"value\":1,\"periodSeconds\":0}]}}"))
            .Should().Be(("spec.behavior.scaleUp.policies[0].periodSeconds", "Invalid value: 0: must be greater than zero"));
    }

    [Fact]
    public void StatusAndMetadata_FollowTheSharedRules()
    {
        Validated.Causes(Hpa("\"maxReplicas\":1", status: ",\"status\":{\"currentReplicas\":-1}")).Should().BeEmpty("status is not validated here");
        Validated.Single(Hpa("\"maxReplicas\":1").Replace("\"name\":\"web\"", "\"name\":\"Web\"", StringComparison.Ordinal)).Field.Should().Be("metadata.name");
    }

    private const string ObjectMetric = """{"type":"Object","object":{"describedObject":{"kind":"Service","name":"s"},"metric":{"name":"m"},"target":{"type":"Value","value":"1"}}}""";

    private static string Metrics(params string[] metrics) => "\"metrics\":[" + string.Join(",", metrics) + "]";

    private static string Hpa(string spec, string target = Target, string status = "") =>
        "{\"kind\":\"HorizontalPodAutoscaler\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{" + target + "," + spec + "}" + status + "}";
}
