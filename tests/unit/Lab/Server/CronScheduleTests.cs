using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.Lab.Tests.Server;

/// <summary>The five-field cron parser behind <c>--etcd-snapshot-schedule-cron</c>: next times and refusals.</summary>
[Trait("Category", "Unit")]
public sealed class CronScheduleTests
{
    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("0 */12 * * *", "2026-03-01T05:17:00Z", "2026-03-01T12:00:00Z")]
    [InlineData("0 */12 * * *", "2026-03-01T12:00:00Z", "2026-03-02T00:00:00Z")]
    [InlineData("0 */12 * * *", "2026-03-01T11:59:59Z", "2026-03-01T12:00:00Z")]
    [InlineData("*/5 * * * *", "2026-03-01T05:17:30Z", "2026-03-01T05:20:00Z")]
    [InlineData("* * * * *", "2026-03-01T05:17:30Z", "2026-03-01T05:18:00Z")]
    [InlineData("30 2 * * 1-5", "2026-03-06T03:00:00Z", "2026-03-09T02:30:00Z")]
    [InlineData("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("15,45 8-10/2 * * *", "2026-03-01T08:50:00Z", "2026-03-01T10:15:00Z")]
    [InlineData("0 0 * jan-mar sun", "2026-03-30T00:00:00Z", "2027-01-03T00:00:00Z")]
    [InlineData("0 0 * * 7", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z")]
    [InlineData("0 0 1 * MON", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")]
    [InlineData("@hourly", "2026-03-01T05:17:00Z", "2026-03-01T06:00:00Z")]
    [InlineData("@daily", "2026-03-01T05:17:00Z", "2026-03-02T00:00:00Z")]
    [InlineData("@weekly", "2026-03-02T05:17:00Z", "2026-03-08T00:00:00Z")]
    [InlineData("@monthly", "2026-03-02T05:17:00Z", "2026-04-01T00:00:00Z")]
    [InlineData("@yearly", "2026-03-02T05:17:00Z", "2027-01-01T00:00:00Z")]
    public void Next_InUtc_IsTheFirstMatchingMinuteAfter(string cron, string after, string expected) =>
        CronSchedule.Parse(cron).Next(At(after)).Should().Be(At(expected));

    [Fact]
    public void Next_BothDayFieldsRestricted_RunsOnEither()
    {
        // Cron's rule: day-of-month 13 OR Friday. 2026-03-06 is a Friday, 2026-03-13 a Friday too.
        var schedule = CronSchedule.Parse("0 0 13 * 5");
        schedule.Next(At("2026-03-01T00:00:00Z")).Should().Be(At("2026-03-06T00:00:00Z"));
        schedule.Next(At("2026-03-10T00:00:00Z")).Should().Be(At("2026-03-13T00:00:00Z"));
    }

    [Fact]
    public void Next_InAZoneWithAnOffset_WorksInThatZonesWallClock()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2");
        var next = CronSchedule.Parse("0 0 * * *", zone).Next(At("2026-03-01T12:00:00Z"));
        next.Should().Be(At("2026-03-01T22:00:00Z"));
        next!.Value.Offset.Should().Be(TimeSpan.FromHours(2));
    }

    [Fact]
    public void Next_ForADateThatNeverComes_IsNull() =>
        CronSchedule.Parse("0 0 31 2 *").Next(At("2026-03-01T00:00:00Z")).Should().BeNull();

    [Theory]
    [InlineData("0 */12 * *", "has 4 fields")]
    [InlineData("0 */12 * * * *", "has 6 fields")]
    [InlineData("60 * * * *", "minute field \"60\"")]
    [InlineData("0 24 * * *", "hour field \"24\"")]
    [InlineData("0 0 0 * *", "day of month field \"0\"")]
    [InlineData("0 0 * 13 *", "month field \"13\"")]
    [InlineData("0 0 * * 8", "day of week field \"8\"")]
    [InlineData("*/0 * * * *", "a step must be a positive number")]
    [InlineData("5-1 * * * *", "the range runs backwards")]
    [InlineData("x * * * *", "minute field \"x\"")]
    [InlineData("@every 5m", "has 2 fields")]
    public void Parse_ABadExpression_SaysWhichFieldAndWhy(string cron, string message) =>
        FluentActions.Invoking(() => CronSchedule.Parse(cron)).Should().Throw<FormatException>().WithMessage($"*{message}*");
}
