using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.NodeLifecycle;
using static K3sLab.Lab.Tests.Controllers.NodeLifecycle.NodeJson;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

[Trait("Category", "Unit")]
public sealed class TaintEvictionTests
{
    private static readonly NoExecuteTaint Unreachable = new("node.kubernetes.io/unreachable", string.Empty, T0);

    [Fact]
    public void EvictAt_NoTaints_Never()
    {
        TaintEviction.EvictAt(Pod("[]"), []).Should().BeNull();
    }

    [Fact]
    public void EvictAt_UntoleratedTaint_Now()
    {
        var pod = Pod("""[{"key":"node.kubernetes.io/unreachable","operator":"Equal","value":"x","effect":"NoExecute"}]""");

        TaintEviction.EvictAt(pod, [Unreachable]).Should().Be(DateTimeOffset.MinValue);
    }

    [Fact]
    public void EvictAt_TolerationSeconds_CountFromTheTaintsTime()
    {
        var pod = Pod("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}]""");

        TaintEviction.EvictAt(pod, [Unreachable with { Since = T0.AddSeconds(3) }]).Should().Be(T0.AddSeconds(8));
    }

    [Fact]
    public void EvictAt_ToleratedWithoutSeconds_Never()
    {
        TaintEviction.EvictAt(Pod("""[{"operator":"Exists"}]"""), [Unreachable, new("dedicated", "gpu", T0)]).Should().BeNull();
    }

    [Fact]
    public void EvictAt_SeveralTaints_EarliestDeadlineWins()
    {
        var pod = Pod("""[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":60},{"key":"b","operator":"Exists","tolerationSeconds":10}]""");

        TaintEviction.EvictAt(pod, [new("a", string.Empty, T0), new("b", string.Empty, T0.AddSeconds(5))]).Should().Be(T0.AddSeconds(15));
    }

    [Fact]
    public void EvictAt_OneOfTwoTaintsUntolerated_Now()
    {
        var pod = Pod("""[{"key":"a","operator":"Exists","effect":"NoExecute","tolerationSeconds":60}]""");

        TaintEviction.EvictAt(pod, [new("a", string.Empty, T0), new("b", string.Empty, T0)]).Should().Be(DateTimeOffset.MinValue);
    }

    [Fact]
    public void EvictAt_FirstMatchingTolerationDecides()
    {
        var pod = Pod("""[{"key":"a","operator":"Exists","tolerationSeconds":30},{"operator":"Exists"}]""");

        TaintEviction.EvictAt(pod, [new("a", string.Empty, T0)]).Should().Be(T0.AddSeconds(30));
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    public void EvictAt_NonPositiveSeconds_AtTheTaintsTime(long seconds, int expected)
    {
        var pod = Pod($$"""[{"key":"a","operator":"Exists","tolerationSeconds":{{seconds}}}]""");

        TaintEviction.EvictAt(pod, [new("a", string.Empty, T0)]).Should().Be(T0.AddSeconds(expected));
    }

    [Fact]
    public void EvictAt_HugeSeconds_NeverAndNoOverflow()
    {
        var pod = Pod($$"""[{"key":"a","operator":"Exists","tolerationSeconds":{{long.MaxValue}}}]""");

        TaintEviction.EvictAt(pod, [new("a", string.Empty, T0)]).Should().BeNull();
    }

    [Theory]
    [InlineData("""{"key":"k","operator":"Exists"}""", "k", "v", "NoExecute", true)]
    [InlineData("""{"key":"k","value":"v"}""", "k", "v", "NoExecute", true)]
    [InlineData("""{"key":"k","operator":"Equal","value":"w"}""", "k", "v", "NoExecute", false)]
    [InlineData("""{"key":"k","operator":"Exists","effect":"NoSchedule"}""", "k", "", "NoExecute", false)]
    [InlineData("""{"operator":"Exists"}""", "anything", "v", "NoExecute", true)]
    [InlineData("""{"operator":"Exists","effect":"NoExecute"}""", "anything", "", "NoExecute", true)]
    [InlineData("""{"value":"v"}""", "k", "v", "NoExecute", false)]
    [InlineData("""{"key":"other","operator":"Exists"}""", "k", "", "NoExecute", false)]
    public void Tolerates_UpstreamMatchingRules(string toleration, string key, string value, string effect, bool expected)
    {
        Tolerations.Tolerates((JsonObject)JsonNode.Parse(toleration)!, key, value, effect).Should().Be(expected);
    }
}
