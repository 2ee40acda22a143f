using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.K3s.Cli;

/// <summary>Go's duration syntax, as Kubernetes flags take it: <c>5m</c>, <c>1m30s</c>, <c>500ms</c>, <c>0</c>. Pure.</summary>
internal static partial class GoDuration
{
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
