using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.Lab.Tests.Runtime.Validation;

/// <summary>How Go prints bad values, and resource quantities in Go's canonical form.</summary>
[Trait("Category", "Unit")]
public sealed class GoValueAndQuantityTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("tab\there\n", "\"tab\\there\\n\"")]
    [InlineData("\u0001\u007f", "\"\\x01\\x7f\"")]
    [InlineData("héllo ✓", "\"héllo ✓\"")]
    [InlineData("\u200b", "\"\\u200b\"")]
    public void Quote_IsGosStrconvQuote(string value, string expected) => GoValue.Quote(value).Should().Be(expected);

    [Fact]
    public void StringMap_SortsKeys_AndPrintsNilWhenAbsent()
    {
        GoValue.StringMap(JsonNode.Parse("""{"b":"2","a":"1"}""")).Text.Should().Be("map[string]string{\"a\":\"1\", \"b\":\"2\"}");
        GoValue.StringMap(new JsonObject()).Text.Should().Be("map[string]string{}");
        GoValue.StringMap(null).Text.Should().Be("map[string]string(nil)");
    }

    [Fact]
    public void LabelSelector_IsPrintedAsTheGoStruct()
    {
        GoValue.LabelSelector(JsonNode.Parse("""{"matchExpressions":[{"key":"k","operator":"Exists"}]}""")).Text
            .Should().Be("v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"k\", Operator:\"Exists\", Values:[]string(nil)}}}");
        GoValue.LabelSelector(null).Text.Should().Be("\"null\"");
    }

    [Theory]
    [InlineData("1000m", "1")]
    [InlineData("0.5", "500m")]
    [InlineData("1.5", "1500m")]
    [InlineData("100m", "100m")]
    [InlineData("2000", "2k")]
    [InlineData("1500", "1500")]
    [InlineData("128974848", "128974848")]
    [InlineData("129e6", "129e6")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("0.5Ki", "512")]
    [InlineData("123Mi", "123Mi")]
    [InlineData("0", "0")]
    [InlineData("-1Mi", "-1Mi")]
    [InlineData("1n", "1n")]
    public void Quantity_PrintsGosCanonicalForm(string text, string canonical)
    {
        Quantity.TryParse(text, out var quantity).Should().BeTrue();
        quantity.ToString().Should().Be(canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("5 Gi")]
    [InlineData("3x")]
    public void Quantity_NotAQuantity_DoesNotParse(string text) => Quantity.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void Quantity_ComparesAcrossFormats()
    {
        Quantity.TryParse("1Gi", out var binary).Should().BeTrue();
        Quantity.TryParse("1073741824", out var bytes).Should().BeTrue();
        Quantity.TryParse("1G", out var decimalGiga).Should().BeTrue();
        binary.CompareTo(bytes).Should().Be(0);
        decimalGiga.CompareTo(binary).Should().BeNegative();
    }
}
