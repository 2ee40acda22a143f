using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Resources.Versions;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>Which served versions convert, and the None strategy of custom resources (apiVersion only).</summary>
[Trait("Category", "Unit")]
public sealed class ServedVersionsTests
{
    [Fact]
    public void HorizontalPodAutoscalers_ConvertAtV1Only_AndBuiltInsOfOneVersionNever()
    {
        var hpa = ApiResourceCatalog.BuiltIn.Where(r => r.Name == "horizontalpodautoscalers").ToDictionary(r => r.Version);

        ServedVersions.Converts(hpa["v1"]).Should().BeTrue();
        ServedVersions.Converts(hpa["v2"]).Should().BeFalse();
        ApiResourceCatalog.BuiltIn.Where(r => r.Name != "horizontalpodautoscalers").Should().OnlyContain(r => !ServedVersions.Converts(r));
        var stored = Parse("""{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{"maxReplicas":3}}""");
        ServedVersions.ToServed(hpa["v1"], stored)["apiVersion"]!.GetValue<string>().Should().Be("autoscaling/v1");
        ServedVersions.ToServed(hpa["v2"], stored).Should().BeSameAs(stored);
    }

    [Fact]
    public void CustomResource_StoredAtTheStorageVersion_ServedAtTheVersionAsked()
    {
        var beta = Widget("v1beta1");
        var v1 = Widget("v1");

        var written = ServedVersions.ToStorage(beta, Parse("""{"apiVersion":"example.com/v1beta1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":2}}"""));
        written["apiVersion"]!.GetValue<string>().Should().Be("example.com/v1");
        ServedVersions.Converts(beta).Should().BeTrue();
        ServedVersions.Converts(v1).Should().BeFalse();

        var read = ServedVersions.ToServed(beta, written);
        read["apiVersion"]!.GetValue<string>().Should().Be("example.com/v1beta1");
        read["spec"]!.ToJsonString().Should().Be("""{"size":2}""");
        written["apiVersion"]!.GetValue<string>().Should().Be("example.com/v1", "the stored object is not changed by a read");
        ServedVersions.ToServed(v1, written).Should().BeSameAs(written);
    }

    private static ApiResource Widget(string version) =>
        new("example.com", version, "widgets", "widget", "Widget", true, ["get", "list"], [], [], []) { Custom = new CustomResource("widgets.example.com", "v1", null, [], false) };

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
