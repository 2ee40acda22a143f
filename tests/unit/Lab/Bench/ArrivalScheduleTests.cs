using K3sLab.Lab.Bench;

namespace K3sLab.Lab.Tests.Bench;

/// <summary>The open model's arrival times: a fixed rate, a rising and a falling ramp, and the text form.</summary>
[Trait("Category", "Unit")]
public sealed class ArrivalScheduleTests
{
    [Fact]
    public void FixedRate_ArrivalsAreEvenlySpaced()
    {
        var schedule = new ArrivalSchedule(100, 100, TimeSpan.FromSeconds(10));

        schedule.Count.Should().Be(1000);
        schedule.DueAt(0).Should().Be(TimeSpan.Zero);
        schedule.DueAt(1).TotalMilliseconds.Should().BeApproximately(10, 1e-9);
        schedule.DueAt(999).TotalSeconds.Should().BeApproximately(9.99, 1e-9);
        schedule.ToString().Should().Be("100/s for 10s");
    }

    [Fact]
    public void Ramp_SendsTheAreaUnderTheRate_AndEachSecondCarriesItsShare()
    {
        var schedule = new ArrivalSchedule(100, 2000, TimeSpan.FromSeconds(20));

        schedule.Count.Should().Be(21000, "(100 + 2,000) / 2 × 20 s");
        schedule.RateAt(TimeSpan.FromSeconds(10)).Should().BeApproximately(1050, 1e-9);
        var perSecond = Enumerable.Range(0, schedule.Count).GroupBy(i => (int)schedule.DueAt(i).TotalSeconds).ToDictionary(g => g.Key, g => g.Count());
        perSecond.Keys.Should().Equal(Enumerable.Range(0, 20));
        perSecond[0].Should().BeInRange(147, 148, "the first second asks for the average of 100 and 195");
        perSecond[19].Should().BeInRange(1952, 1953, "the last second asks for the average of 1,905 and 2,000");
        Enumerable.Range(1, schedule.Count - 1).Should().OnlyContain(i => schedule.DueAt(i) > schedule.DueAt(i - 1), "arrivals never go back in time");
    }

    [Fact]
    public void FallingRamp_ArrivalsSpreadOutTowardsTheEnd()
    {
        var schedule = new ArrivalSchedule(1000, 10, TimeSpan.FromSeconds(10));

        schedule.Count.Should().Be(5050);
        var gapEarly = schedule.DueAt(11) - schedule.DueAt(10);
        var gapLate = schedule.DueAt(schedule.Count - 1) - schedule.DueAt(schedule.Count - 2);
        gapLate.Should().BeGreaterThan(gapEarly * 10);
        schedule.DueAt(schedule.Count - 1).TotalSeconds.Should().BeLessThanOrEqualTo(10);
    }

    [Theory]
    [InlineData("100-2000/s:20", 100, 2000, 20)]
    [InlineData("500/s:10", 500, 500, 10)]
    [InlineData("0.5-2.5/s:4s", 0.5, 2.5, 4)]
    public void Parse_RampOrFixedRate(string text, double from, double to, double seconds) =>
        ArrivalSchedule.Parse(text).Should().Be(new ArrivalSchedule(from, to, TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("100-2000:20")]
    [InlineData("fast/s:10")]
    [InlineData("0-100/s:10")]
    [InlineData("100/s:0")]
    [InlineData("100/s")]
    public void Parse_BadText_IsRefusedWithTheForm(string text)
    {
        var parse = () => ArrivalSchedule.Parse(text);

        parse.Should().Throw<BenchInputException>().Which.Message.Should().Contain(text);
    }
}
