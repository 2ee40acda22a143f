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
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"A","value":"one"},{"name":"B","value":"$(A)-two"},{"name":"C","value":"$(D)"},{"name":"D","value":"late"}]"""), "10.0.0.5", out var error)!;
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
        var env = ContainerEnvironment.Build(Pod, Container("""[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":""" + $"\"{path}\"" + "}}}]"), "10.0.0.5", out _)!;
        env["X"].Should().Be(expected);
    }

    [Fact]
    public void Build_UnsupportedSource_IsAConfigErrorNamingIt()
    {
        ContainerEnvironment.Build(Pod, Container("""[{"name":"X","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]"""), "10.0.0.5", out var error).Should().BeNull();
        error.Should().Contain("env X").And.Contain("secretKeyRef");
        ContainerEnvironment.Build(Pod, Container("""[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":"spec.nope"}}}]"""), "10.0.0.5", out error).Should().BeNull();
        error.Should().Contain("spec.nope");
    }
}
