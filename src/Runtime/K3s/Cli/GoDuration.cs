using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.K3s.Cli;

/// <summary>Go's duration syntax, as Kubernetes flags take it and <c>time.Duration.String</c> writes it: <c>5m</c>, <c>1m30s</c>, <c>500ms</c>, <c>0</c>. Pure.</summary>
internal static partial class GoDuration
{
    /// <summary>A duration as Go's <c>time.Duration.String</c> writes it: <c>15.003s</c>, <c>1m0.5s</c>, <c>750ms</c>.</summary>
    public static string Format(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return "0s";
        }

        if (span < TimeSpan.FromSeconds(1))
        {
            return Trim(span.TotalMilliseconds) + "ms";
        }

        var hours = (long)span.TotalHours;
        var minutes = span.Minutes;
        var seconds = span.TotalSeconds - hours * 3600 - minutes * 60;
        return (hours > 0 ? hours.ToString(CultureInfo.InvariantCulture) + "h" : string.Empty)
            + (hours > 0 || minutes > 0 ? minutes.ToString(CultureInfo.InvariantCulture) + "m" : string.Empty)
            + Trim(seconds) + "s";
    }

    private static string Trim(double value) => Math.Round(value, 9).ToString("0.#########", CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        var matches = Part().Matches(text);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text)
        {
            return false;
        }

        foreach (Match match in matches)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            duration += match.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                "us" or "µs" => TimeSpan.FromMicroseconds(value),
                _ => TimeSpan.FromTicks((long)(value / 100)),
            };
        }

        return true;
    }

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
