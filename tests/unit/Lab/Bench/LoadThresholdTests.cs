using K3sLab.Lab.Bench;

namespace K3sLab.Lab.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class LoadThresholdTests
{
    private static readonly LoadFigures[] Run =
    [
        new("create x1", 990, 10, 410, 2.1, 3.0, 4.5, 9.0, 12.0),
        new("create x16", 1000, 0, 2600, 5.0, 9.0, 23.0, 40.0, 61.0),
        new("get x4", 4000, 0, 7000, 0.4, 0.6, 1.2, 3.0, 5.0),
    ];

    [Theory]
    [InlineData("p99<50ms", "p99", "<", 50)]
    [InlineData("p99.9 <= 1s", "p99.9", "<=", 1000)]
    [InlineData("max<500us", "max", "<", 0.5)]
    [InlineData("p50>=2", "p50", ">=", 2)]
    [InlineData("rate>2000/s", "rate", ">", 2000)]
    [InlineData("ERRORS<0.1%", "errors", "<", 0.1)]
    public void Parse_ReadsMetricOperatorAndValueInMilliseconds(string text, string metric, string op, double value)
    {
        var threshold = LoadThreshold.Parse(text);

        threshold.Metric.Should().Be(metric);
        threshold.Operator.Should().Be(op);
        threshold.Value.Should().BeApproximately(value, 1e-9);
        threshold.Phase.Should().BeNull();
    }

    [Theory]
    [InlineData("p98<50ms")]
    [InlineData("p99=50ms")]
    [InlineData("p99<fast")]
    [InlineData("rate>2000ms")]
    [InlineData("errors<5s")]
    [InlineData("p99<50%")]
    [InlineData("")]
    public void Parse_MalformedOrUnitThatDoesNotFit_IsAClearError(string text)
    {
        var parse = () => LoadThreshold.Parse(text);

        parse.Should().Throw<BenchInputException>().WithMessage($"threshold '{text}'*");
    }

    [Fact]
    public void Judge_WithoutPhase_JudgesEveryPhase()
    {
        var verdicts = LoadThreshold.Parse("p99<20ms").Judge(Run);

        verdicts.Select(v => (v.Phase, v.Passed)).Should().Equal(("create x1", true), ("create x16", false), ("get x4", true));
        verdicts[1].Measured.Should().Be("23.00 ms");
    }

    [Fact]
    public void Judge_ErrorsAsPercentAndAsCount()
    {
        LoadThreshold.Parse("create x1:errors<0.1%").Judge(Run).Single().Should().Be(new ThresholdVerdict("create x1:errors<0.1%", "create x1", "1 %", false));
        LoadThreshold.Parse("create:errors<=10").Judge(Run).Select(v => v.Passed).Should().Equal(true, true);
    }

    [Fact]
    public void Judge_PhasePrefixMatchesByStartCaseInsensitively()
    {
        var verdicts = LoadThreshold.Parse("Create:rate>=1000/s").Judge(Run);

        verdicts.Select(v => (v.Phase, v.Passed)).Should().Equal(("create x1", false), ("create x16", true));
    }

    [Fact]
    public void Judge_PhaseThatIsNotInTheRun_Fails()
    {
        var verdicts = LoadThreshold.Parse("watch:p99<100ms").Judge(Run);

        verdicts.Should().ContainSingle().Which.Should().Be(new ThresholdVerdict("watch:p99<100ms", "watch", "no such phase in this run", false));
    }

    [Fact]
    public void Judge_BoundaryValue_FollowsTheOperator()
    {
        LoadThreshold.Parse("get:p99<1.2ms").Judge(Run).Single().Passed.Should().BeFalse();
        LoadThreshold.Parse("get:p99<=1.2ms").Judge(Run).Single().Passed.Should().BeTrue();
    }
}
