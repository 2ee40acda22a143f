using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Apps;

namespace K3sLab.Lab.Tests.Controllers.Apps;

[Trait("Category", "Unit")]
public sealed class PodTemplateHashTests
{
    [Fact]
    public void Of_SameTemplateWrittenInAnotherOrder_GivesTheSameHash()
    {
        var a = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"c","image":"pause"}]}}""")!.AsObject();
        var b = JsonNode.Parse("""{"spec":{"containers":[{"image":"pause","name":"c"}]},"metadata":{"labels":{"tier":"front","app":"web"}}}""")!.AsObject();

        PodTemplateHash.Of(a, null).Should().Be(PodTemplateHash.Of(b, null));
        PodTemplateHash.Of(a, 2).Should().Be(PodTemplateHash.Of(b, 2));
    }

    [Fact]
    public void Of_AnotherTemplateOrCollisionCount_GivesAnotherHash()
    {
        var hash = PodTemplateHash.Of(AppsObjects.Template("pause"), null);

        PodTemplateHash.Of(AppsObjects.Template("busybox"), null).Should().NotBe(hash);
        PodTemplateHash.Of(AppsObjects.Template("pause"), 1).Should().NotBe(hash);
        hash.Should().MatchRegex("^[bcdfghjklmnpqrstvwxz2456789]{1,10}$");
    }

    [Fact]
    public void SameTemplate_UndoCopyWithNullCreationTimestampAndEmptyMaps_IsTheSame()
    {
        var stored = AppsObjects.Template("pause");
        stored["metadata"]!["labels"]![PodTemplateHash.Label] = "abc";
        var copied = AppsObjects.Template("pause");
        copied["metadata"]!["creationTimestamp"] = null;
        copied["metadata"]!["annotations"] = new JsonObject();

        DeploymentFacts.SameTemplate(stored, copied).Should().BeTrue();
        DeploymentFacts.SameTemplate(stored, AppsObjects.Template("busybox")).Should().BeFalse();
    }

    [Theory]
    [InlineData("25%", 10, true, 3)]
    [InlineData("25%", 10, false, 2)]
    [InlineData("30%", 3, true, 1)]
    [InlineData("30%", 3, false, 0)]
    [InlineData("2", 10, true, 2)]
    public void Scaled_PercentOrInteger_RoundsAsUpstream(string value, long total, bool roundUp, long expected)
    {
        JsonNode node = value.EndsWith('%') ? JsonValue.Create(value) : JsonValue.Create(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        DeploymentFacts.Scaled(node, total, roundUp).Should().Be(expected);
    }
}
