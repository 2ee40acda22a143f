namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>Deployments, ReplicaSets, DaemonSets, StatefulSets, ReplicationControllers, Jobs and CronJobs.</summary>
[Trait("Category", "Unit")]
public sealed class WorkloadValidationTests
{
    private const string Container = """{"name":"app","image":"nginx:1.27"}""";

    [Fact]
    public void Deployment_SelectorNotMatchingLabels_IsKubectlsFamousMessage()
    {
        Validated.Message(Deployment("""{"matchLabels":{"app":"a"}}""", """{"app":"b"}"""))
            .Should().Be("Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`");
    }

    [Fact]
    public void Deployment_WithoutSelector_SelectorRequiredAndNothingMatches()
    {
        Validated.Causes(Deployment(null, """{"tier":"web","app":"a"}""")).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.selector", "Required value"),
            ("spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"a\", \"tier\":\"web\"}: `selector` does not match template `labels`"));
    }

    [Fact]
    public void Deployment_EmptySelector_IsInvalidButSelectsEverything()
    {
        Validated.Single(Deployment("{}", null))
            .Should().Be(("spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"));
    }

    [Fact]
    public void Deployment_BadSelectorExpression_IsReportedAndTheTemplateSkipped()
    {
        Validated.Causes(Deployment("""{"matchExpressions":[{"key":"app","operator":"Has","values":["a"]}]}""", """{"app":"b"}""", containers: "")).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.selector.matchExpressions[0].operator", "Invalid value: \"Has\": not a valid selector operator"),
            ("spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Has\", Values:[]string{\"a\"}}}}: invalid label selector"));
    }

    [Fact]
    public void Deployment_MatchExpressions_SelectTheTemplate()
    {
        Validated.Causes(Deployment("""{"matchExpressions":[{"key":"app","operator":"In","values":["a","b"]},{"key":"canary","operator":"DoesNotExist"}]}""", """{"app":"b"}""")).Should().BeEmpty();
    }

    [Fact]
    public void Deployment_ReplicasRestartPolicyAndDeadline_AreChecked()
    {
        var deployment = Deployment("""{"matchLabels":{"app":"a"}}""", """{"app":"a"}""", spec: "\"replicas\":-1,", podSpec: "\"restartPolicy\":\"Never\",\"activeDeadlineSeconds\":5,");

        Validated.Causes(deployment).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
            ("spec.template.spec.restartPolicy", "Unsupported value: \"Never\": supported values: \"Always\""),
            ("spec.template.spec.activeDeadlineSeconds", "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"));
    }

    [Fact]
    public void Deployment_TemplateContainers_AreValidatedUnderTheTemplatePath()
    {
        Validated.Single(Deployment("""{"matchLabels":{"app":"a"}}""", """{"app":"a"}""", containers: """{"name":"app"}"""))
            .Should().Be(("spec.template.spec.containers[0].image", "Required value"));
    }

    [Theory]
    [InlineData("""{"type":"BlueGreen"}""", "spec.strategy", "Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"")]
    [InlineData("""{"type":"Recreate","rollingUpdate":{"maxSurge":1}}""", "spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}""", "spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"120%"}}""", "spec.strategy.rollingUpdate.maxUnavailable", "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%")]
    [InlineData("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"lots"}}""", "spec.strategy.rollingUpdate.maxSurge", "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")]
    public void Deployment_Strategy_IsChecked(string strategy, string field, string message)
    {
        Validated.Single(Deployment("""{"matchLabels":{"app":"a"}}""", """{"app":"a"}""", spec: $"\"strategy\":{strategy},")).Should().Be((field, message));
    }

    [Fact]
    public void DeploymentUpdate_ChangedSelector_IsImmutableAfterTheSpecChecks()
    {
        var old = Deployment("""{"matchLabels":{"app":"a"}}""", """{"app":"a"}""");

        Validated.Single(Deployment("""{"matchLabels":{"app":"b"}}""", """{"app":"b"}"""), old)
            .Should().Be(("spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"));
        Validated.Causes(Deployment("""{"matchLabels":{"app":"a"},"matchExpressions":[]}""", """{"app":"a"}""", spec: "\"replicas\":3,"), old).Should().BeEmpty("an empty list equals a missing one");
    }

    [Fact]
    public void ReplicaSet_EmptySelector_SaysDeployment_AsKubeApiserverDoes()
    {
        var replicaSet = """{"kind":"ReplicaSet","metadata":{"name":"rs","namespace":"default"},"spec":{"selector":{"matchLabels":{}},"template":{"spec":{"containers":[{"name":"a","image":"a"}]}}}}""";

        Validated.Single(replicaSet).Message.Should().EndWith(": empty selector is invalid for deployment").And.Contain("MatchLabels:map[string]string{}");
    }

    [Fact]
    public void DaemonSet_WithoutSelector_OnlyMismatches_AndStrategyIsChecked()
    {
        var daemonSet = """{"kind":"DaemonSet","metadata":{"name":"ds","namespace":"default"},"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":1}},"template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[@C]}}}}""".Replace("@C", Container, StringComparison.Ordinal);

        Validated.Causes(daemonSet).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"a\"}: `selector` does not match template `labels`"),
            ("spec.updateStrategy.rollingUpdate.maxSurge", "Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero"));
    }

    [Fact]
    public void StatefulSet_ChecksSelectorAndLabelsButNotThePodSpec()
    {
        var statefulSet = """{"kind":"StatefulSet","metadata":{"name":"db","namespace":"default"},"spec":{"serviceName":"db","template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db"}]}}}}""";

        Validated.Causes(statefulSet).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.selector", "Required value"),
            ("spec.template.metadata.labels", "Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match template `labels`"));
    }

    [Fact]
    public void StatefulSetUpdate_ChangingServiceName_IsForbidden_ButReplicasMayChange()
    {
        static string StatefulSet(string service, int replicas) =>
            """{"kind":"StatefulSet","metadata":{"name":"db","namespace":"default"},"spec":{"replicas":@R,"serviceName":"@S","selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[@C]}}}}""".Replace("@C", Container, StringComparison.Ordinal).Replace("@R", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("@S", service, StringComparison.Ordinal);

        Validated.Causes(StatefulSet("db", 3), StatefulSet("db", 1)).Should().BeEmpty();
        Validated.Single(StatefulSet("db2", 1), StatefulSet("db", 1))
            .Should().Be(("spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }

    [Fact]
    public void ReplicationController_SelectorDefaultsFromTheTemplate_AndATemplateIsRequired()
    {
        Validated.Causes("""{"kind":"ReplicationController","metadata":{"name":"rc","namespace":"default"},"spec":{"template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[@C]}}}}""".Replace("@C", Container, StringComparison.Ordinal)).Should().BeEmpty();
        Validated.Causes("""{"kind":"ReplicationController","metadata":{"name":"rc","namespace":"default"},"spec":{}}""").Select(c => c.Field).Should().Equal("spec.selector", "spec.template");
    }

    [Fact]
    public void Job_DefaultRestartPolicy_IsRequiredToBeOnFailureOrNever()
    {
        var job = """{"kind":"Job","metadata":{"name":"once","namespace":"default"},"spec":{"backoffLimit":-2,"template":{"spec":{"containers":[@C]}}}}""".Replace("@C", Container, StringComparison.Ordinal);

        Validated.Message(job).Should().Be("Job.batch \"once\" is invalid: [spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0, spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"]");
    }

    [Fact]
    public void CronJob_ValidatesItsJobTemplate()
    {
        var cronJob = """{"kind":"CronJob","metadata":{"name":"nightly","namespace":"default"},"spec":{"concurrencyPolicy":"Sometimes","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Maybe","containers":[{"name":"a","image":"a"}]}}}}}}""";

        Validated.Causes(cronJob).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.schedule", "Required value"),
            ("spec.concurrencyPolicy", "Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""),
            ("spec.jobTemplate.spec.template.spec.restartPolicy", "Unsupported value: \"Maybe\": supported values: \"Always\", \"OnFailure\", \"Never\""),
            ("spec.jobTemplate.spec.template.spec.restartPolicy", "Unsupported value: \"Maybe\": supported values: \"OnFailure\", \"Never\""));
    }

    private static string Deployment(string? selector, string? labels, string spec = "", string podSpec = "", string containers = Container) =>
        """{"kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{""" + spec
        + (selector is null ? string.Empty : "\"selector\":" + selector + ",")
        + "\"template\":{\"metadata\":{" + (labels is null ? string.Empty : "\"labels\":" + labels) + "},\"spec\":{" + podSpec + "\"containers\":[" + containers + "]}}}}";
}
