namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>Pod specs: containers, ports, environment, resources, volumes and policies.</summary>
[Trait("Category", "Unit")]
public sealed class PodValidationTests
{
    [Fact]
    public void Pod_WithoutContainers_ContainersRequired()
    {
        Validated.Message("""{"kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{}}""")
            .Should().Be("Pod \"p\" is invalid: spec.containers: Required value");
    }

    [Fact]
    public void Container_WithoutImage_ImageRequired()
    {
        Validated.Single(Validated.Pod("""{"name":"app"}""")).Should().Be(("spec.containers[0].image", "Required value"));
    }

    [Fact]
    public void Container_NamesMissingInvalidAndRepeated_AreEachReported()
    {
        Validated.Causes(Validated.Pod("""{"image":"a"},{"name":"Web","image":"a"},{"name":"web","image":"a"},{"name":"web","image":"a"}"""))
            .Select(c => (c.Field, c.Message)).Should().Equal(
                ("spec.containers[0].name", "Required value"),
                ("spec.containers[1].name", "Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
                ("spec.containers[3].name", "Duplicate value: \"web\""));
    }

    [Fact]
    public void ContainerName_WithDots_MustNotContainDots()
    {
        Validated.Single(Validated.Pod("""{"name":"web.v1","image":"a"}""")).Message.Should().Be("Invalid value: \"web.v1\": must not contain dots");
    }

    [Fact]
    public void Ports_OutOfRangeMissingUnsupportedAndRepeated_AreReportedPerPort()
    {
        var pod = Validated.Pod("""{"name":"a","image":"a","ports":[{"containerPort":70000},{"name":"http"},{"name":"http","containerPort":80,"protocol":"HTTP"},{"name":"Bad_Name","containerPort":81,"hostPort":-1}]}""");

        Validated.Causes(pod).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.containers[0].ports[0].containerPort", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
            ("spec.containers[0].ports[1].containerPort", "Required value"),
            ("spec.containers[0].ports[2].name", "Duplicate value: \"http\""),
            ("spec.containers[0].ports[2].protocol", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
            ("spec.containers[0].ports[3].name", "Invalid value: \"Bad_Name\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
            ("spec.containers[0].ports[3].hostPort", "Invalid value: -1: must be between 1 and 65535, inclusive"));
    }

    [Fact]
    public void HostPorts_RepeatedAcrossContainers_AreDuplicates()
    {
        Validated.Single(Validated.Pod("""{"name":"a","image":"a","ports":[{"containerPort":80,"hostPort":8080}]},{"name":"b","image":"b","ports":[{"containerPort":81,"hostPort":8080}]}"""))
            .Should().Be(("spec.containers[1].ports[0].hostPort", "Duplicate value: \"TCP//8080\""));
    }

    [Fact]
    public void HostNetwork_DefaultsHostPorts_AndRefusesOthers()
    {
        Validated.Causes(Validated.Pod("""{"name":"a","image":"a","ports":[{"containerPort":80}]}""", "\"hostNetwork\":true")).Should().BeEmpty();
        Validated.Single(Validated.Pod("""{"name":"a","image":"a","ports":[{"containerPort":80,"hostPort":81}]}""", "\"hostNetwork\":true"))
            .Should().Be(("spec.containers[0].ports[0].hostPort", "Invalid value: 81: must match `containerPort` when `hostNetwork` is true"));
    }

    [Fact]
    public void RestartPolicy_Unknown_ListsTheThreeValues()
    {
        Validated.Single(Validated.Pod("""{"name":"a","image":"a"}""", "\"restartPolicy\":\"Sometimes\""))
            .Should().Be(("spec.restartPolicy", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""));
    }

    [Fact]
    public void Env_NamesAndSources_FollowTheRelaxedRules()
    {
        var pod = Validated.Pod("""
            {"name":"a","image":"a","env":[
              {"name":"my.var-1","value":"ok"},{"value":"x"},{"name":"A=B"},
              {"name":"C","value":"v","valueFrom":{"configMapKeyRef":{"name":"cfg","key":"k"}}},
              {"name":"D","valueFrom":{}},
              {"name":"E","valueFrom":{"secretKeyRef":{"name":"s"}}}]}
            """);

        Validated.Causes(pod).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.containers[0].env[1].name", "Required value"),
            ("spec.containers[0].env[2].name", "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"),
            ("spec.containers[0].env[3].valueFrom", "Invalid value: \"\": may not be specified when `value` is not empty"),
            ("spec.containers[0].env[4].valueFrom", "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"),
            ("spec.containers[0].env[5].valueFrom.secretKeyRef.key", "Required value"));
    }

    [Theory]
    [InlineData("""{"requests":{"cpu":"1"},"limits":{"cpu":"500m"}}""", "Invalid value: \"1\": must be less than or equal to cpu limit of 500m")]
    [InlineData("""{"requests":{"memory":"2048Mi"},"limits":{"memory":"1Gi"}}""", "Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi")]
    [InlineData("""{"requests":{"cpu":"1500m"},"limits":{"cpu":1}}""", "Invalid value: \"1500m\": must be less than or equal to cpu limit of 1")]
    [InlineData("""{"requests":{"example.com/gpu":"1"},"limits":{"example.com/gpu":"2"}}""", "Invalid value: \"1\": must be equal to example.com/gpu limit of 2")]
    public void Requests_AboveLimits_AreInvalidInCanonicalQuantities(string resources, string message)
    {
        Validated.Single(Validated.Pod("""{"name":"a","image":"a","resources":""" + resources + "}"))
            .Should().Be(("spec.containers[0].resources.requests", message));
    }

    [Fact]
    public void Resources_NegativeAndUnlimitedExtended_AreReported()
    {
        Validated.Causes(Validated.Pod("""{"name":"a","image":"a","resources":{"limits":{"memory":"-1Mi"},"requests":{"example.com/gpu":"1"}}}"""))
            .Select(c => (c.Field, c.Message)).Should().Equal(
                ("spec.containers[0].resources.limits[memory]", "Invalid value: \"-1Mi\": must be greater than or equal to 0"),
                ("spec.containers[0].resources.limits", "Required value: Limit must be set for non overcommitable resources"));
    }

    [Fact]
    public void VolumeMounts_OfMissingOrBrokenVolumes_AreNotFound()
    {
        var pod = Validated.Pod(
            """{"name":"a","image":"a","volumeMounts":[{"name":"data","mountPath":"/d"},{"name":"cfg","mountPath":"/d"},{"name":"tmp","mountPath":"/t"}]}""",
            "\"volumes\":" + """[{"name":"cfg","configMap":{}},{"name":"tmp","emptyDir":{}},{"name":"tmp","emptyDir":{}},{"name":"two","emptyDir":{},"secret":{"secretName":"s"}},{"name":"none"}]""");

        Validated.Causes(pod).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.volumes[0].configMap.name", "Required value"),
            ("spec.volumes[2].name", "Duplicate value: \"tmp\""),
            ("spec.volumes[3].secret", "Forbidden: may not specify more than 1 volume type"),
            ("spec.volumes[4]", "Required value: must specify a volume type"),
            ("spec.containers[0].volumeMounts[0].name", "Not found: \"data\""),
            ("spec.containers[0].volumeMounts[1].name", "Not found: \"cfg\""),
            ("spec.containers[0].volumeMounts[1].mountPath", "Invalid value: \"/d\": must be unique"));
    }

    [Fact]
    public void Tolerations_WithoutKeyOrWithUnknownOperator_AreInvalid()
    {
        var pod = Validated.Pod("""{"name":"a","image":"a"}""", "\"tolerations\":" + """[{"operator":"Equal","value":"x"},{"key":"k","operator":"Has"},{"key":"k","effect":"NoSchedule","tolerationSeconds":5}]""");

        Validated.Causes(pod).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.tolerations[0].operator", "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""),
            ("spec.tolerations[1].operator", "Unsupported value: \"Has\": supported values: \"Equal\", \"Exists\""),
            ("spec.tolerations[2].effect", "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }

    [Fact]
    public void Image_WithSurroundingSpace_IsInvalidForPodsOnly()
    {
        Validated.Single(Validated.Pod("""{"name":"a","image":"nginx "}""")).Should().Be(("spec.containers[0].image", "Invalid value: \"nginx \": must not have leading or trailing whitespace"));
        Validated.Causes("""{"kind":"PodTemplate","metadata":{"name":"t","namespace":"default"},"template":{"spec":{"containers":[{"name":"a","image":"nginx "}]}}}""").Should().BeEmpty();
    }

    [Fact]
    public void PodTemplate_ReportsUnderTemplate()
    {
        Validated.Single("""{"kind":"PodTemplate","metadata":{"name":"t","namespace":"default"},"template":{"metadata":{"labels":{"a":"-"}},"spec":{"containers":[{"name":"a","image":"a"}]}}}""")
            .Field.Should().Be("template.labels");
    }

    [Fact]
    public void PodUpdate_AddingAContainer_IsForbidden_AndMetadataCausesRepeatOnceInTheMessage()
    {
        var old = Validated.Pod("""{"name":"a","image":"a"}""");
        var updated = """{"kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"x":"-"}},"spec":{"containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]}}""";

        var causes = Validated.Causes(updated, old);
        causes.Select(c => c.Field).Should().Equal("metadata.labels", "metadata.labels", "spec.containers");
        causes[2].Message.Should().Be("Forbidden: pod updates may not add or remove containers");
        Validated.Message(updated, old).Should().StartWith("Pod \"p\" is invalid: [metadata.labels: Invalid value: \"-\": ").And.Contain("), spec.containers: Forbidden: pod updates may not add or remove containers]");
    }
}
