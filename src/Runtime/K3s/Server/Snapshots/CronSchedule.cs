using System.Globalization;

namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// A standard five-field cron expression (minute, hour, day of month, month, day of week), as
/// <c>--etcd-snapshot-schedule-cron</c> takes it: numbers, <c>*</c>, ranges <c>a-b</c>, steps <c>*/n</c> and
/// <c>a-b/n</c>, lists, three-letter month and day names, Sunday as 0 or 7, and the descriptors <c>@yearly</c>,
/// <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c> and <c>@hourly</c>. When both day fields are restricted a day
/// matching either runs, as in cron. Pure: times are given to it, in the time zone it was built for.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly bool[] _minutes;
    private readonly bool[] _hours;
    private readonly bool[] _daysOfMonth;
    private readonly bool[] _months;
    private readonly bool[] _daysOfWeek;
    private readonly bool _anyDayOfMonth;
    private readonly bool _anyDayOfWeek;
    private readonly TimeZoneInfo _zone;

    private CronSchedule(string expression, string[] fields, TimeZoneInfo zone)
    {
        Expression = expression;
        _minutes = Field(expression, fields[0], "minute", 0, 59, null);
        _hours = Field(expression, fields[1], "hour", 0, 23, null);
        _daysOfMonth = Field(expression, fields[2], "day of month", 1, 31, null);
        _months = Field(expression, fields[3], "month", 1, 12, Months);
        var days = Field(expression, fields[4], "day of week", 0, 7, Days);
        days[0] |= days[7];
        _daysOfWeek = days;
        _anyDayOfMonth = fields[2].StartsWith('*') || fields[2] == "?";
        _anyDayOfWeek = fields[4].StartsWith('*') || fields[4] == "?";
        _zone = zone;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }

    /// <summary>Parses <paramref name="expression"/>; a bad one is a <see cref="FormatException"/> saying which field and why.</summary>
    public static CronSchedule Parse(string expression, TimeZoneInfo? zone = null)
    {
        var text = expression.Trim();
        var fields = text.ToLowerInvariant() switch
        {
            "@yearly" or "@annually" => ["0", "0", "1", "1", "*"],
            "@monthly" => ["0", "0", "1", "*", "*"],
            "@weekly" => ["0", "0", "*", "*", "0"],
            "@daily" or "@midnight" => ["0", "0", "*", "*", "*"],
            "@hourly" => ["0", "*", "*", "*", "*"],
            _ => text.ToLowerInvariant().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries),
        };
        if (fields.Length != 5)
        {
            throw new FormatException($"cron expression \"{expression}\" has {fields.Length} fields; expected 5 (minute hour day-of-month month day-of-week), e.g. \"0 */12 * * *\"");
        }

        return new CronSchedule(expression, fields, zone ?? TimeZoneInfo.Utc);
    }

    /// <summary>The first time strictly after <paramref name="after"/> that the schedule names (whole minutes); null if none within 5 years.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var local = TimeZoneInfo.ConvertTime(after, _zone);
        var start = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified).AddMinutes(1);
        for (var day = start.Date; day < start.Date.AddYears(5); day = day.AddDays(1))
        {
            if (!_months[day.Month] || !DayMatches(day))
            {
                continue;
            }

            for (var hour = day == start.Date ? start.Hour : 0; hour < 24; hour++)
            {
                if (!_hours[hour])
                {
                    continue;
                }

                for (var minute = day == start.Date && hour == start.Hour ? start.Minute : 0; minute < 60; minute++)
                {
                    if (!_minutes[minute])
                    {
                        continue;
                    }

                    var wall = day.AddHours(hour).AddMinutes(minute);
                    if (_zone.IsInvalidTime(wall))
                    {
                        continue;
                    }

                    var offset = _zone.IsAmbiguousTime(wall) ? _zone.GetAmbiguousTimeOffsets(wall).Max() : _zone.GetUtcOffset(wall);
                    var at = new DateTimeOffset(wall, offset);
                    if (at > after)
                    {
                        return at;
                    }
                }
            }
        }

        return null;
    }

    private bool DayMatches(DateTime day)
    {
        var dom = _daysOfMonth[day.Day];
        var dow = _daysOfWeek[(int)day.DayOfWeek];
        return _anyDayOfMonth || _anyDayOfWeek ? dom && dow : dom || dow;
    }

    private static bool[] Field(string expression, string field, string what, int min, int max, string[]? names)
    {
        var allowed = new bool[max + 1];
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 => (r, n),
                _ => throw Bad(expression, what, part, "a step must be a positive number, as in */5"),
            };
            int low, high;
            if (range is "*" or "?")
            {
                (low, high) = (min, max);
            }
            else if (range.Split('-') is [var a, var b])
            {
                (low, high) = (Value(expression, what, a, min, max, names), Value(expression, what, b, min, max, names));
            }
            else
            {
                low = Value(expression, what, range, min, max, names);
                high = part.Contains('/', StringComparison.Ordinal) ? max : low;
            }

            if (low > high)
            {
                throw Bad(expression, what, part, $"the range runs backwards ({low} > {high})");
            }

            for (var v = low; v <= high; v += step)
            {
                allowed[v] = true;
            }
        }

        return allowed;
    }

    private static int Value(string expression, string what, string text, int min, int max, string[]? names)
    {
        if (names is not null && Array.IndexOf(names, text) is var index and >= 0)
        {
            return index + (names == Months ? 1 : 0);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Bad(expression, what, text, $"expected a number from {min} to {max}");
    }

    private static FormatException Bad(string expression, string what, string part, string why) =>
        new($"cron expression \"{expression}\": {what} field \"{part}\": {why}");
}
