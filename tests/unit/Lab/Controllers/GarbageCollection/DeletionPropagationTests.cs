using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;

namespace K3sLab.Lab.Tests.Controllers.GarbageCollection;

[Trait("Category", "Unit")]
public sealed class DeletionPropagationTests
{
    private static JsonArray Names(params string[] names) => new([.. names.Select(n => (JsonNode)JsonValue.Create(n))]);

    [Theory]
    [InlineData(null, null, """{"propagationPolicy":"Foreground"}""", "Foreground")]
    [InlineData("Orphan", null, null, "Orphan")]
    [InlineData(null, null, """{"orphanDependents":true}""", "Orphan")]
    [InlineData(null, "false", null, "Background")]
    [InlineData(null, null, """{"gracePeriodSeconds":0}""", null)]
    public void Requested_QueryOrBody_GivesThePolicy(string? query, string? orphan, string? body, string? expected)
    {
        DeletionPropagation.Requested(query, orphan, body is null ? null : (JsonObject)JsonNode.Parse(body)!).Should().Be(expected);
    }

    [Theory]
    [InlineData("""{"propagationPolicy":"Sideways"}""")]
    [InlineData("""{"propagationPolicy":"Orphan","orphanDependents":true}""")]
    public void Requested_InvalidOptions_AreABadRequest(string body)
    {
        var act = () => DeletionPropagation.Requested(null, null, (JsonObject)JsonNode.Parse(body)!);

        act.Should().Throw<ApiStatusException>().Which.Code.Should().Be(400);
    }

    [Fact]
    public void Finalizers_EachPolicy_SetsOnlyItsFinalizerAndKeepsOthers()
    {
        DeletionPropagation.Finalizers(Names("example.com/x"), "Orphan")!.Select(n => n!.GetValue<string>()).Should().Equal("example.com/x", "orphan");
        DeletionPropagation.Finalizers(Names("orphan"), "Foreground")!.Select(n => n!.GetValue<string>()).Should().Equal("foregroundDeletion");
        DeletionPropagation.Finalizers(Names("orphan", "example.com/x"), "Background")!.Select(n => n!.GetValue<string>()).Should().Equal("example.com/x");
    }

    [Fact]
    public void Finalizers_NoChange_IsNull()
    {
        DeletionPropagation.Finalizers(null, "Background").Should().BeNull();
        DeletionPropagation.Finalizers(Names("orphan"), "Orphan").Should().BeNull();
        DeletionPropagation.Finalizers(Names("orphan"), null).Should().BeNull();
    }
}
