using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class ContainerEnvironmentTests
{
    private static readonly JsonObject Pod = (JsonObject)JsonNode.Parse("""
        {"metadata":{"name":"web-1","namespace":"shop","uid":"u-1","labels":{"app":"web"},"annotations":{"owner":"me"}},
         "spec":{"nodeName":"node-a","serviceAccountName":"sa"}}
        """)!;

    private static JsonObject Container(string env) => (JsonObject)JsonNode.Parse($$"""{"name":"app","image":"busybox","env":{{env}}}""")!;

    [Fact]
    public void Build_DefaultsThenEnvInOrder_WithExpansionOfEarlierValues()
    {
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"A","value":"one"},{"name":"B","value":"$(A)-two"},{"name":"C","value":"$(D)"},{"name":"D","value":"late"}]"""), "10.0.0.5", EnvSources.None, out var error)!;
        error.Should().BeNull();
        env["PATH"].Should().Be(ContainerEnvironment.DefaultPath);
        env["HOSTNAME"].Should().Be("web-1");
        env["B"].Should().Be("one-two");
        env["C"].Should().Be("$(D)", "only variables defined earlier expand");
    }

    [Theory]
    [InlineData("metadata.name", "web-1")]
    [InlineData("metadata.namespace", "shop")]
    [InlineData("metadata.uid", "u-1")]
    [InlineData("metadata.labels['app']", "web")]
    [InlineData("metadata.annotations['owner']", "me")]
    [InlineData("spec.nodeName", "node-a")]
    [InlineData("spec.serviceAccountName", "sa")]
    [InlineData("status.podIP", "10.0.0.5")]
    [InlineData("status.hostIP", "10.0.0.5")]
    public void Build_FieldRef_ReadsTheDownwardApi(string path, string expected)
    {
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":""" + $"\"{path}\"" + "}}}]"), "10.0.0.5", EnvSources.None, out _)!;
        env["X"].Should().Be(expected);
    }

    [Fact]
    public void Build_UnknownFieldPath_IsAConfigErrorNamingIt()
    {
        ContainerEnvironment.Build(Pod, Container("""[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":"spec.nope"}}}]"""), "10.0.0.5", EnvSources.None, out var error).Should().BeNull();
        error.Should().Contain("spec.nope");
    }

    [Fact]
    public void Build_KeyRefs_ReadTheConfigMapAndTheDecodedSecret()
    {
        var env = ContainerEnvironment.Build(Pod, Container("""
            [{"name":"MODE","valueFrom":{"configMapKeyRef":{"name":"settings","key":"mode"}}},
             {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}},
             {"name":"URL","value":"db://$(PASSWORD)@host/$(MODE)"}]
            """), "10.0.0.5", Sources, out var error)!;
        error.Should().BeNull();
        env["MODE"].Should().Be("fast");
        env["PASSWORD"].Should().Be("s3cret");
        env["URL"].Should().Be("db://s3cret@host/fast");
    }

    [Theory]
    [InlineData("""{"configMapKeyRef":{"name":"nope","key":"mode"}}""", "configmap \"nope\" not found")]
    [InlineData("""{"secretKeyRef":{"name":"nope","key":"password"}}""", "secret \"nope\" not found")]
    [InlineData("""{"configMapKeyRef":{"name":"settings","key":"missing"}}""", "couldn't find key missing in ConfigMap shop/settings")]
    [InlineData("""{"secretKeyRef":{"name":"db","key":"missing"}}""", "couldn't find key missing in Secret shop/db")]
    public void Build_AMissingSource_IsTheKubeletsError_UnlessOptional(string valueFrom, string expected)
    {
        ContainerEnvironment.Build(Pod, Container($$"""[{"name":"X","valueFrom":{{valueFrom}}}]"""), "10.0.0.5", Sources, out var error).Should().BeNull();
        error.Should().Be(expected);

        var optional = valueFrom.Replace("}}", ",\"optional\":true}}", StringComparison.Ordinal);
        var env = ContainerEnvironment.Build(Pod, Container($$"""[{"name":"X","valueFrom":{{optional}}},{"name":"Y","value":"y"}]"""), "10.0.0.5", Sources, out error)!;
        error.Should().BeNull();
        env.Should().NotContainKey("X", "an optional source that is missing leaves the variable out").And.ContainKey("Y");
    }

    [Fact]
    public void Build_EnvFrom_ComesFirstWithItsPrefix_AndEnvOverridesIt()
    {
        var container = (JsonObject)JsonNode.Parse("""
            {"name":"app","image":"busybox",
             "envFrom":[{"configMapRef":{"name":"settings"}},{"prefix":"DB_","secretRef":{"name":"db"}},
                        {"configMapRef":{"name":"absent","optional":true}},{"prefix":"BAD=","configMapRef":{"name":"settings"}}],
             "env":[{"name":"mode","value":"$(mode)-override"}]}
            """)!;
        var env = ContainerEnvironment.Build(Pod, container, "10.0.0.5", Sources, out var error, out var skipped)!;
        error.Should().BeNull();
        env["mode"].Should().Be("fast-override", "env comes after envFrom and expands what envFrom set");
        env["1st"].Should().Be("one", "1.33 takes any printable name but '='");
        env["DB_password"].Should().Be("s3cret");
        skipped.Should().Equal("Keys [BAD=1st, BAD=mode] from the EnvFrom configMap shop/settings were skipped since they are considered invalid environment variable names.");

        container["envFrom"] = JsonNode.Parse("""[{"secretRef":{"name":"absent"}}]""");
        ContainerEnvironment.Build(Pod, container, "10.0.0.5", Sources, out error).Should().BeNull();
        error.Should().Be("secret \"absent\" not found");
    }

    [Theory]
    [InlineData("limits.cpu", null, "1")]
    [InlineData("limits.cpu", "1m", "250")]
    [InlineData("requests.cpu", "1m", "100")]
    [InlineData("limits.memory", "1Mi", "64")]
    [InlineData("requests.memory", null, "67108864")]
    [InlineData("limits.ephemeral-storage", "1Gi", "10")]
    [InlineData("requests.ephemeral-storage", null, "0")]
    public void Build_ResourceFieldRef_DividesAndRoundsUp_WithAllocatableForAMissingLimit(string resource, string? divisor, string expected)
    {
        var reference = new JsonObject { ["resource"] = resource };
        if (divisor is not null)
        {
            reference["divisor"] = divisor;
        }

        var container = Container(new JsonArray { new JsonObject { ["name"] = "X", ["valueFrom"] = new JsonObject { ["resourceFieldRef"] = reference } } }.ToJsonString());
        container["resources"] = JsonNode.Parse("""{"limits":{"cpu":"250m","memory":"64Mi"},"requests":{"cpu":"100m"}}""");
        var env = ContainerEnvironment.Build(Pod, container, "10.0.0.5", Sources, out var error)!;
        error.Should().BeNull();
        env["X"].Should().Be(expected);
    }

    [Fact]
    public void Build_KubernetesServiceVariables_PointAtTheNodesApiAddress_AndTheContainersEnvMayUseOrOverrideThem()
    {
        var sources = EnvSources.None with { KubernetesService = new Uri("https://127.0.0.1:6444") };
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"API","value":"https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"},{"name":"KUBERNETES_PORT_6444_TCP_PROTO","value":"mine"}]"""), "10.0.0.5", sources, out _)!;
        env["KUBERNETES_SERVICE_HOST"].Should().Be("127.0.0.1");
        env["KUBERNETES_SERVICE_PORT"].Should().Be("6444");
        env["KUBERNETES_SERVICE_PORT_HTTPS"].Should().Be("6444");
        env["KUBERNETES_PORT"].Should().Be("tcp://127.0.0.1:6444");
        env["KUBERNETES_PORT_6444_TCP"].Should().Be("tcp://127.0.0.1:6444");
        env["KUBERNETES_PORT_6444_TCP_PORT"].Should().Be("6444");
        env["KUBERNETES_PORT_6444_TCP_ADDR"].Should().Be("127.0.0.1");
        env["KUBERNETES_PORT_6444_TCP_PROTO"].Should().Be("mine");
        env["API"].Should().Be("https://127.0.0.1:6444");

        var v6 = ContainerEnvironment.Build(Pod, Container("[]"), "::1", EnvSources.None with { KubernetesService = new Uri("https://[::1]:6443") }, out _)!;
        v6["KUBERNETES_SERVICE_HOST"].Should().Be("::1");
        v6["KUBERNETES_PORT"].Should().Be("tcp://[::1]:6443");
        ContainerEnvironment.Build(Pod, Container("[]"), "10.0.0.5", EnvSources.None, out _)!.Keys.Should().NotContain("KUBERNETES_SERVICE_HOST");
    }

    [Fact]
    public void Build_ServiceLinks_AreTheKubeletsDockerLinkVariables_SkippingHeadlessAndTheApiService()
    {
        JsonObject[] services =
        [
            (JsonObject)JsonNode.Parse("""{"metadata":{"name":"redis-primary","namespace":"shop"},"spec":{"clusterIP":"10.43.0.11","ports":[{"name":"redis","port":6379,"protocol":"TCP"},{"name":"metrics-udp","port":9121,"protocol":"UDP"}]}}""")!,
            (JsonObject)JsonNode.Parse("""{"metadata":{"name":"db","namespace":"shop"},"spec":{"clusterIP":"None","ports":[{"port":5432}]}}""")!,
            (JsonObject)JsonNode.Parse("""{"metadata":{"name":"kubernetes","namespace":"default"},"spec":{"clusterIP":"10.43.0.1","ports":[{"name":"https","port":443}]}}""")!,
        ];
        var sources = EnvSources.None with { KubernetesService = new Uri("https://10.43.0.1:443"), Services = services };
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"REDIS_PRIMARY_SERVICE_PORT","value":"mine"}]"""), "10.0.0.5", sources, out _)!;

        env["REDIS_PRIMARY_SERVICE_HOST"].Should().Be("10.43.0.11");
        env["REDIS_PRIMARY_SERVICE_PORT"].Should().Be("mine", "the container's own env comes after the links");
        env["REDIS_PRIMARY_SERVICE_PORT_REDIS"].Should().Be("6379");
        env["REDIS_PRIMARY_SERVICE_PORT_METRICS_UDP"].Should().Be("9121");
        env["REDIS_PRIMARY_PORT"].Should().Be("tcp://10.43.0.11:6379");
        env["REDIS_PRIMARY_PORT_6379_TCP"].Should().Be("tcp://10.43.0.11:6379");
        env["REDIS_PRIMARY_PORT_6379_TCP_PROTO"].Should().Be("tcp");
        env["REDIS_PRIMARY_PORT_6379_TCP_PORT"].Should().Be("6379");
        env["REDIS_PRIMARY_PORT_6379_TCP_ADDR"].Should().Be("10.43.0.11");
        env["REDIS_PRIMARY_PORT_9121_UDP"].Should().Be("udp://10.43.0.11:9121");
        env.Keys.Should().NotContain(k => k.StartsWith("DB_", StringComparison.Ordinal), "a headless Service has no address to link");
        env["KUBERNETES_SERVICE_HOST"].Should().Be("10.43.0.1");
        env["KUBERNETES_SERVICE_PORT_HTTPS"].Should().Be("443");
    }

    private static EnvSources Sources { get; } = new(
        new Dictionary<string, JsonObject?> { ["settings"] = (JsonObject)JsonNode.Parse("""{"data":{"mode":"fast","1st":"one"}}""")! },
        new Dictionary<string, JsonObject?> { ["db"] = (JsonObject)JsonNode.Parse("""{"data":{"password":"czNjcmV0"}}""")! },
        (JsonObject)JsonNode.Parse("""{"cpu":"2","memory":"1Gi","ephemeral-storage":"10Gi"}""")!);
}
