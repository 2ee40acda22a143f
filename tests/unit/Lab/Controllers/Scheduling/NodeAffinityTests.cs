using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Scheduling;
using static K3sLab.Lab.Tests.Controllers.Scheduling.SchedulingFixtures;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class NodeAffinityTests
{
    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal) { ["zone"] = "a", ["cores"] = "8" };

    [Theory]
    [InlineData("In", "zone", "a,b", true)]
    [InlineData("In", "zone", "b", false)]
    [InlineData("In", "missing", "a", false)]
    [InlineData("NotIn", "zone", "b", true)]
    [InlineData("NotIn", "zone", "a", false)]
    [InlineData("NotIn", "missing", "a", true)]
    [InlineData("Exists", "zone", "", true)]
    [InlineData("Exists", "missing", "", false)]
    [InlineData("DoesNotExist", "missing", "", true)]
    [InlineData("DoesNotExist", "zone", "", false)]
    [InlineData("Gt", "cores", "4", true)]
    [InlineData("Gt", "cores", "8", false)]
    [InlineData("Lt", "cores", "16", true)]
    [InlineData("Lt", "cores", "8", false)]
    [InlineData("Gt", "zone", "1", false)]
    [InlineData("Gt", "missing", "1", false)]
    [InlineData("Bogus", "zone", "a", false)]
    public void MatchesTerm_Operator_MatchesAsLabelsRequirement(string op, string key, string values, bool expected)
    {
        var term = Term(Expression(key, op, values.Length == 0 ? [] : values.Split(',')));

        NodeAffinity.MatchesTerm(term, Labels, "n1").Should().Be(expected);
    }

    [Fact]
    public void MatchesTerm_ExpressionsAreAnded()
    {
        NodeAffinity.MatchesTerm(Term(Expression("zone", "In", "a"), Expression("cores", "Gt", "10")), Labels, "n1").Should().BeFalse();
        NodeAffinity.MatchesTerm(Term(Expression("zone", "In", "a"), Expression("cores", "Gt", "4")), Labels, "n1").Should().BeTrue();
    }

    [Fact]
    public void MatchesAnyTerm_TermsAreOred_AndEmptyTermMatchesNothing()
    {
        var selector = new JsonObject { ["nodeSelectorTerms"] = new JsonArray(Term(Expression("zone", "In", "b")), Term(Expression("zone", "In", "a"))) };
        var empty = new JsonObject { ["nodeSelectorTerms"] = new JsonArray(new JsonObject()) };

        NodeAffinity.MatchesAnyTerm(selector, Labels, "n1").Should().BeTrue();
        NodeAffinity.MatchesAnyTerm(empty, Labels, "n1").Should().BeFalse();
    }

    [Fact]
    public void MatchesTerm_MatchFieldsOnMetadataName_SelectsTheNode()
    {
        var term = new JsonObject { ["matchFields"] = new JsonArray(Expression("metadata.name", "In", "n2")) };
        var otherField = new JsonObject { ["matchFields"] = new JsonArray(Expression("spec.podCIDR", "In", "n2")) };

        NodeAffinity.MatchesTerm(term, Labels, "n2").Should().BeTrue();
        NodeAffinity.MatchesTerm(term, Labels, "n1").Should().BeFalse();
        NodeAffinity.MatchesTerm(otherField, Labels, "n2").Should().BeFalse();
    }

    [Fact]
    public void Matches_NodeSelectorAndRequiredAffinity_BothMustHold()
    {
        var node = Node("n1", labels: new JsonObject { ["disk"] = "ssd", ["zone"] = "a" });
        var selectorOnly = PodWith("p", spec => spec["nodeSelector"] = new JsonObject { ["disk"] = "ssd" });
        var wrongSelector = PodWith("p", spec => spec["nodeSelector"] = new JsonObject { ["disk"] = "hdd" });
        var both = PodWith("p", spec =>
        {
            spec["nodeSelector"] = new JsonObject { ["disk"] = "ssd" };
            spec["affinity"] = new JsonObject { ["nodeAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject { ["nodeSelectorTerms"] = new JsonArray(Term(Expression("zone", "In", "b"))) } } };
        });

        NodeAffinity.Matches(selectorOnly, node).Should().BeTrue();
        NodeAffinity.Matches(wrongSelector, node).Should().BeFalse();
        NodeAffinity.Matches(both, node).Should().BeFalse();
    }

    [Fact]
    public void PreferredWeight_SumsMatchingTerms()
    {
        var node = Node("n1", labels: new JsonObject { ["zone"] = "a", ["disk"] = "ssd" });
        var pod = PodWith("p", spec => spec["affinity"] = new JsonObject
        {
            ["nodeAffinity"] = new JsonObject
            {
                ["preferredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(
                    new JsonObject { ["weight"] = 5, ["preference"] = Term(Expression("zone", "In", "a")) },
                    new JsonObject { ["weight"] = 7, ["preference"] = Term(Expression("disk", "In", "ssd")) },
                    new JsonObject { ["weight"] = 11, ["preference"] = Term(Expression("disk", "In", "hdd")) }),
            },
        });

        NodeAffinity.PreferredWeight(pod, node).Should().Be(12);
    }

    internal static JsonObject Expression(string key, string op, params string[] values) =>
        new() { ["key"] = key, ["operator"] = op, ["values"] = new JsonArray([.. values.Select(v => (JsonNode)v)]) };

    internal static JsonObject Term(params JsonObject[] expressions) => new() { ["matchExpressions"] = new JsonArray([.. expressions]) };
}
