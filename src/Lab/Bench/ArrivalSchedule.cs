using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.Lab.Bench;

/// <summary>
/// When an open model sends each request: the arrival rate rises in a straight line from <paramref name="FromPerSecond"/>
/// to <paramref name="ToPerSecond"/> over <paramref name="Duration"/> (equal rates give a fixed rate), whatever the
/// server does meanwhile, so a slow answer never delays the requests after it (NBomber's ramping inject, k6's ramping
/// arrival rate). Pure: the n-th arrival's due time is where the rate's integral reaches n.
/// </summary>
internal sealed partial record ArrivalSchedule(double FromPerSecond, double ToPerSecond, TimeSpan Duration)
{
    /// <summary>How many requests the schedule sends: the rate's integral over the duration, rounded down.</summary>
    public int Count => (int)Math.Floor(Arrived(Duration.TotalSeconds) + 1e-9);

    /// <summary>The rate asked for <paramref name="elapsed"/> after the start (per second).</summary>
    public double RateAt(TimeSpan elapsed)
    {
        var t = Math.Clamp(elapsed.TotalSeconds, 0, Duration.TotalSeconds);
        return FromPerSecond + (Slope * t);
    }

    /// <summary>
    /// When the request of index <paramref name="index"/> (from 0) is due, from the start: the first is due at once,
    /// the n-th when n requests' worth of the rate has passed.
    /// </summary>
    public TimeSpan DueAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        double seconds;
        if (Math.Abs(Slope) < 1e-12)
        {
            seconds = index / FromPerSecond;
        }
        else
        {
            // a·t + s·t²/2 = n  →  t = (−a + √(a² + 2·s·n)) / s; with s < 0 the root that comes first is the same one.
            var a = FromPerSecond;
            var root = Math.Sqrt(Math.Max(0, (a * a) + (2 * Slope * index)));
            seconds = (root - a) / Slope;
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>How many requests are due by <paramref name="seconds"/> after the start (not rounded).</summary>
    public double Arrived(double seconds)
    {
        var t = Math.Clamp(seconds, 0, Duration.TotalSeconds);
        return (FromPerSecond * t) + (Slope * t * t / 2);
    }

    /// <summary>A name for reports and thresholds: <c>100-2000/s over 20s</c>, or <c>500/s for 10s</c> at a fixed rate.</summary>
    public override string ToString() => FromPerSecond.Equals(ToPerSecond)
        ? string.Create(CultureInfo.InvariantCulture, $"{FromPerSecond:0.##}/s for {Duration.TotalSeconds:0.##}s")
        : string.Create(CultureInfo.InvariantCulture, $"{FromPerSecond:0.##}-{ToPerSecond:0.##}/s over {Duration.TotalSeconds:0.##}s");

    /// <summary>
    /// Parses <c>FROM-TO/s:SECONDS</c> (a ramp) or <c>RATE/s:SECONDS</c> (a fixed rate), e.g. <c>100-2000/s:20</c>.
    /// Rates must be positive (a ramp from 0 would send its first request at once and then wait), the duration too.
    /// </summary>
    /// <exception cref="BenchInputException">The text does not follow that form.</exception>
    public static ArrivalSchedule Parse(string text)
    {
        var match = Grammar().Match(text.Trim());
        if (!match.Success)
        {
            throw new BenchInputException($"arrival schedule '{text}' is not FROM-TO/s:SECONDS or RATE/s:SECONDS (e.g. 100-2000/s:20 ramps from 100 to 2,000 requests a second over 20 s)");
        }

        var from = double.Parse(match.Groups["from"].Value, CultureInfo.InvariantCulture);
        var to = match.Groups["to"].Success ? double.Parse(match.Groups["to"].Value, CultureInfo.InvariantCulture) : from;
        var seconds = double.Parse(match.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        if (from <= 0 || to <= 0 || seconds <= 0)
        {
            throw new BenchInputException($"arrival schedule '{text}': rates and the duration must be above 0");
        }

        return new ArrivalSchedule(from, to, TimeSpan.FromSeconds(seconds));
    }

    private double Slope => Duration > TimeSpan.Zero ? (ToPerSecond - FromPerSecond) / Duration.TotalSeconds : 0;

    [GeneratedRegex(@"^(?<from>\d+(\.\d+)?)(-(?<to>\d+(\.\d+)?))?/s:(?<seconds>\d+(\.\d+)?)s?$")]
    private static partial Regex Grammar();
}
