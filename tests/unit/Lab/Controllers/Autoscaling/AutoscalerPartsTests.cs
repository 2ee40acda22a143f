using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.Autoscaling;
using static K3sLab.Lab.Tests.Controllers.Autoscaling.HpaFixtures;

namespace K3sLab.Lab.Tests.Controllers.Autoscaling;

/// <summary>The autoscaler's small pure parts: metrics quantities, client-go error texts, scale targets, selectors, conditions.</summary>
[Trait("Category", "Unit")]
public sealed class AutoscalerPartsTests
{
    [Theory]
    [InlineData("12345n", 1)]
    [InlineData("12345678n", 13)]
    [InlineData("250m", 250)]
    [InlineData("2", 2000)]
    [InlineData("1234Ki", 1263616000)]
    [InlineData("100E", long.MaxValue)]
    public void MilliValue_RoundsUpToMilliUnits(string text, long expected)
    {
        Quantity.TryParse(text, out var quantity).Should().BeTrue();

        quantity.MilliValue.Should().Be(expected);
    }

    [Theory]
    [InlineData(250, "250m")]
    [InlineData(2000, "2")]
    [InlineData(1500, "1500m")]
    [InlineData(1263616000, "1263616")]
    [InlineData(1263616000000, "1263616k")]
    [InlineData(0, "0")]
    public void FormatMilli_PrintsGosCanonicalForm(long milli, string expected) => ResourceMetrics.FormatMilli(milli).Should().Be(expected);

    [Fact]
    public void Read_SumsContainersAndKeepsTheSampleTimeAndWindow()
    {
        var list = ResourceMetricsResponse.Of(List([Item("a", Now.AddSeconds(-7), ("x", new JsonObject { ["cpu"] = "1500000n" }), ("y", new JsonObject { ["cpu"] = "1m" }))]));

        var (metrics, error) = ResourceMetrics.Read(list, "cpu", string.Empty);

        error.Should().BeNull();
        metrics!["a"].Should().Be(new PodMetric(3, Now.AddSeconds(-7), TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void Read_PodWithAContainerLackingTheResource_HasNoSample()
    {
        var list = ResourceMetricsResponse.Of(List([
            Item("a", Now, ("x", new JsonObject { ["cpu"] = "1m" }), ("y", new JsonObject { ["memory"] = "1Mi" })),
            Item("b", Now),
        ]));

        var (metrics, _) = ResourceMetrics.Read(list, "cpu", string.Empty);

        metrics.Should().BeEmpty();
    }

    [Fact]
    public void Describe_NotFound_IsClientGosGenericText()
    {
        ClientErrors.Describe(HttpStatusCode.NotFound, "ignored", "get", "pods.metrics.k8s.io")
            .Should().Be("the server could not find the requested resource (get pods.metrics.k8s.io)");
    }

    [Fact]
    public void Describe_AStatusBody_KeepsItsMessage()
    {
        ClientErrors.Describe(HttpStatusCode.Forbidden, "pods.metrics.k8s.io is forbidden", "get", "pods.metrics.k8s.io").Should().Be("pods.metrics.k8s.io is forbidden");
    }

    [Fact]
    public void Describe_ServiceUnavailableWithoutAStatus_IsClientGosGenericText()
    {
        ClientErrors.Describe(HttpStatusCode.ServiceUnavailable, null, "get", "pods.metrics.k8s.io")
            .Should().Be("the server is currently unable to handle the request (get pods.metrics.k8s.io)");
    }

    [Fact]
    public void NotFound_NamesTheGroupResource()
    {
        ClientErrors.NotFound("apps", "deployments", "web").Should().Be("deployments.apps \"web\" not found");
        ClientErrors.NotFound(string.Empty, "replicationcontrollers", "rc").Should().Be("replicationcontrollers \"rc\" not found");
    }

    [Fact]
    public void Resolve_Deployment_IsItsAppsV1ScaleSubresource()
    {
        var (_, _, path, error) = ScaleTargets.Resolve("apps/v1", "Deployment", "default", "web");

        error.Should().BeNull();
        path.Should().Be("/apis/apps/v1/namespaces/default/deployments/web/scale");
    }

    [Fact]
    public void Resolve_ReplicationController_IsInTheCoreGroup()
    {
        ScaleTargets.Resolve("v1", "ReplicationController", "ns", "rc").Path.Should().Be("/api/v1/namespaces/ns/replicationcontrollers/rc/scale");
    }

    [Fact]
    public void Resolve_AnOlderVersionOfAKnownKind_MapsByGroupAndKind()
    {
        ScaleTargets.Resolve("apps/v1beta2", "StatefulSet", "ns", "db").Path.Should().Be("/apis/apps/v1/namespaces/ns/statefulsets/db/scale");
    }

    [Fact]
    public void Resolve_UnknownKind_FailsLikeUpstreamsMapper()
    {
        ScaleTargets.Resolve("example.com/v1", "Widget", "ns", "w").Error.Should().Be("no matches for kind \"Widget\" in group \"example.com\"");
    }

    [Fact]
    public void Resolve_MalformedApiVersion_Fails()
    {
        ScaleTargets.Resolve("a/b/c", "Deployment", "ns", "w").Error.Should().Be("unexpected GroupVersion string: a/b/c");
    }

    [Fact]
    public void GoLabelSelector_FormatsLikeGo()
    {
        var selector = JsonNode.Parse("""{"matchLabels":{"b":"2","a":"1"},"matchExpressions":[{"key":"k","operator":"In","values":["x","y"]}]}""")!.AsObject();

        GoLabelSelector.Format(selector).Should().Be("&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}");
        GoLabelSelector.Format(null).Should().Be("nil");
    }

    [Fact]
    public void Set_SameStatus_KeepsTheTransitionTimeButTakesTheNewReason()
    {
        var conditions = new JsonArray();
        HpaConditions.Set(conditions, "AbleToScale", true, "SucceededGetScale", "m1", Now.AddMinutes(-5));

        HpaConditions.Set(conditions, "AbleToScale", true, "ReadyForNewScale", "m2", Now);

        var condition = conditions.Single()!.AsObject();
        condition["lastTransitionTime"]!.GetValue<string>().Should().Be(Stamp(Now.AddMinutes(-5)));
        condition["reason"]!.GetValue<string>().Should().Be("ReadyForNewScale");
        condition["message"]!.GetValue<string>().Should().Be("m2");
    }

    [Fact]
    public void Tolerances_BoundsAreInclusive()
    {
        var tolerances = new Tolerances(0.1, 0.1);

        tolerances.IsWithin(0.9).Should().BeTrue();
        tolerances.IsWithin(1.1).Should().BeTrue();
        tolerances.IsWithin(1.11).Should().BeFalse();
        tolerances.IsWithin(0.89).Should().BeFalse();
    }
}
