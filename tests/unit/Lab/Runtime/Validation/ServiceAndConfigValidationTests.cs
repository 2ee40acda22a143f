namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>Services, ConfigMaps and Secrets, on create and update.</summary>
[Trait("Category", "Unit")]
public sealed class ServiceAndConfigValidationTests
{
    [Fact]
    public void Service_Port70000_IsInvalidAsPortAndDefaultedTargetPort()
    {
        Validated.Message(Service("""[{"port":70000}]"""))
            .Should().Be("Service \"web\" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]");
    }

    [Fact]
    public void Service_WithoutPorts_PortsRequired_UnlessHeadlessOrExternalName()
    {
        Validated.Single(Service("[]")).Should().Be(("spec.ports", "Required value"));
        Validated.Causes(Service("[]", "\"clusterIP\":\"None\",")).Should().BeEmpty();
        Validated.Single(Service("[]", "\"type\":\"ExternalName\",")).Should().Be(("spec.externalName", "Required value"));
    }

    [Fact]
    public void Service_SeveralPorts_NeedUniqueNames_AndUniquePortsPerProtocol()
    {
        Validated.Causes(Service("""[{"port":80},{"name":"http","port":80,"targetPort":"web-http"},{"name":"http","port":81,"targetPort":"Bad"}]"""))
            .Select(c => (c.Field, c.Message)).Should().Equal(
                ("spec.ports[0].name", "Required value"),
                ("spec.ports[2].name", "Duplicate value: \"http\""),
                ("spec.ports[2].targetPort", "Invalid value: \"Bad\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
                ("spec.ports[1]", "Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"));
    }

    [Fact]
    public void Service_TypeProtocolAndNodePort_AreChecked()
    {
        Validated.Single(Service("""[{"port":80}]""", "\"type\":\"Internal\",")).Should().Be(("spec.type", "Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""));
        Validated.Single(Service("""[{"port":53,"protocol":"DNS"}]""")).Should().Be(("spec.ports[0].protocol", "Unsupported value: \"DNS\": supported values: \"SCTP\", \"TCP\", \"UDP\""));
        Validated.Single(Service("""[{"port":80,"nodePort":30080}]""")).Should().Be(("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'"));
        Validated.Causes(Service("""[{"port":80,"nodePort":30080},{"name":"b","port":81,"nodePort":30080}]""".Replace("[{\"port\":80,", "[{\"name\":\"a\",\"port\":80,", StringComparison.Ordinal), "\"type\":\"NodePort\","))
            .Should().ContainSingle().Which.Message.Should().Be("Duplicate value: 30080");
    }

    [Fact]
    public void Service_LoadBalancerSourceRanges_CidrsOnLoadBalancersOnly_UnderKubesCapitalisedPath()
    {
        Validated.Causes(Service("""[{"port":80}]""", "\"type\":\"LoadBalancer\",\"loadBalancerSourceRanges\":[\" 10.0.0.1/8 \",\"2001:db8::/64\",\"192.012.2.0/24\"],")).Should().BeEmpty("host bits, spaces and leading zeros pass in this legacy field");
        Validated.Causes(Service("""[{"port":80}]""", "\"type\":\"LoadBalancer\",\"loadBalancerSourceRanges\":[\"10.0.0.0\",\"10.0.0.0/33\",\"1.2.3/8\"],"))
            .Select(c => (c.Field, c.Message)).Should().Equal(
                ("spec.LoadBalancerSourceRanges[0]", "Invalid value: \"10.0.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
                ("spec.LoadBalancerSourceRanges[1]", "Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
                ("spec.LoadBalancerSourceRanges[2]", "Invalid value: \"1.2.3/8\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
        Validated.Single(Service("""[{"port":80}]""", "\"loadBalancerSourceRanges\":[\"10.0.0.0/8\"],"))
            .Should().Be(("spec.LoadBalancerSourceRanges", "Forbidden: may only be used when `type` is 'LoadBalancer'"));
    }

    [Fact]
    public void Service_SourceRangesAnnotation_CheckedWhenTheFieldIsEmpty()
    {
        const string Key = "service.beta.kubernetes.io/load-balancer-source-ranges";
        string Annotated(string value, string type, string field = "") =>
            Service("""[{"port":80}]""", $"\"type\":\"{type}\",{field}").Replace("\"namespace\":\"default\"}", $"\"namespace\":\"default\",\"annotations\":{{\"{Key}\":\"{value}\"}}}}", StringComparison.Ordinal);

        Validated.Causes(Annotated("10.0.0.0/8, 192.168.1.7/24", "LoadBalancer")).Should().BeEmpty();
        Validated.Causes(Annotated("10.0.0.0/8,nowhere", "NodePort")).Select(c => (c.Field, c.Message)).Should().Equal(
            ($"metadata.annotations[{Key}]", "Forbidden: may only be used when `type` is 'LoadBalancer'"),
            ($"metadata.annotations[{Key}]", "Invalid value: \"nowhere\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
        Validated.Causes(Annotated("nowhere", "LoadBalancer", "\"loadBalancerSourceRanges\":[\"10.0.0.0/8\"],")).Should().BeEmpty("the field wins and the annotation is not read");
    }

    [Fact]
    public void ServiceUpdate_ChangedClusterIP_MayNotChange()
    {
        var old = Service("""[{"port":80}]""", "\"clusterIP\":\"10.43.0.10\",");

        Validated.Single(Service("""[{"port":80}]""", "\"clusterIP\":\"10.43.0.11\","), old)
            .Should().Be(("spec.clusterIPs[0]", "Invalid value: []string{\"10.43.0.11\"}: may not change once set"));
        Validated.Causes(Service("""[{"port":80}]"""), old).Should().BeEmpty("an update without the IP keeps it");
    }

    [Fact]
    public void ServiceUpdate_ChangingTheType_DoesNotTripOnFieldsKubeApiserverWouldClear()
    {
        var nodePort = Service("""[{"port":80,"nodePort":30080}]""", "\"type\":\"NodePort\",");

        Validated.Causes(Service("""[{"port":80,"nodePort":30080}]""", "\"type\":\"ClusterIP\","), nodePort).Should().BeEmpty();
        Validated.Causes(Service("""[]""", "\"type\":\"ExternalName\",\"externalName\":\"db.example.com\",\"ipFamilies\":[\"IPv4\"],"), Service("""[{"port":80}]""")).Should().BeEmpty();
        Validated.Single(Service("""[]""", "\"type\":\"ExternalName\",\"externalName\":\"db.example.com\",\"ipFamilies\":[\"IPv4\"],"))
            .Should().Be(("spec.ipFamilies", "Forbidden: may not be set for ExternalName services"));
    }

    [Fact]
    public void ConfigMap_BadKeysAndDuplicateBinaryKey_AreReportedPerKey()
    {
        var configMap = """{"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"data":{"app config":"x","..":"y","same":"z"},"binaryData":{"same":"eA=="}}""";

        Validated.Causes(configMap).Select(c => (c.Field, c.Message)).Should().Equal(
            ("data[app config]", "Invalid value: \"app config\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
            ("data[..]", "Invalid value: \"..\": must not be '..'"),
            ("data[same]", "Invalid value: \"same\": duplicate of key present in binaryData"));
    }

    [Fact]
    public void ConfigMapAndSecret_Over1MiB_AreTooLong()
    {
        var big = new string('x', (1024 * 1024) + 1);
        Validated.Single("""{"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"data":{"k":"@"}}""".Replace("@", big, StringComparison.Ordinal))
            .Should().Be((string.Empty, "Too long: may not be more than 1048576 bytes"));
        Validated.Single("""{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"stringData":{"k":"@"}}""".Replace("@", big, StringComparison.Ordinal))
            .Should().Be(("data", "Too long: may not be more than 1048576 bytes"));
    }

    [Fact]
    public void Secret_TypedSecrets_NeedTheirKeys_AndStringDataKeysAreDataKeys()
    {
        Validated.Causes("""{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}}""")
            .Select(c => (c.Field, c.Message)).Should().Equal(("data[tls.key]", "Required value"));
        Validated.Single("""{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"stringData":{"bad/key":"x"}}""").Field.Should().Be("data[bad/key]");
        Validated.Single("""{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/service-account-token"}""")
            .Should().Be(("metadata.annotations[kubernetes.io/service-account.name]", "Required value"));
    }

    [Fact]
    public void SecretUpdate_TypeIsImmutable_AndImmutableDataStays()
    {
        var old = """{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"immutable":true,"data":{"k":"eA=="}}""";

        Validated.Causes("""{"kind":"Secret","metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/basic-auth","data":{"username":"eA=="}}""", old)
            .Select(c => (c.Field, c.Message)).Should().Equal(
                ("type", "Invalid value: \"kubernetes.io/basic-auth\": field is immutable"),
                ("immutable", "Forbidden: field is immutable when `immutable` is set"),
                ("data", "Forbidden: field is immutable when `immutable` is set"));
        Validated.Causes("""{"kind":"Secret","metadata":{"name":"s","namespace":"default","labels":{"a":"b"}},"immutable":true,"stringData":{"k":"x"}}""", old).Should().BeEmpty("stringData becomes the same data");
    }

    [Fact]
    public void ConfigMapUpdate_ImmutableData_MayNotChange()
    {
        var old = """{"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"immutable":true,"data":{"k":"v"}}""";

        Validated.Single("""{"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},"immutable":true,"data":{"k":"w"}}""", old)
            .Should().Be(("data", "Forbidden: field is immutable when `immutable` is set"));
    }

    private static string Service(string ports, string spec = "") =>
        """{"kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{""" + spec + "\"ports\":" + ports + "}}";
}
