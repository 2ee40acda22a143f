using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.Lab.Bench;

/// <summary>
/// A condition a load run must meet, or it fails: <c>[phase:]metric op value[unit]</c>, e.g. <c>p99&lt;50ms</c>,
/// <c>errors&lt;0.1%</c>, <c>create:rate&gt;=2000/s</c>, <c>watch:p99.9&lt;=1s</c>. Metrics: <c>p50</c>, <c>p90</c>,
/// <c>p99</c>, <c>p99.9</c>, <c>max</c> (latency; <c>us</c>, <c>ms</c> or <c>s</c>, milliseconds when no unit is
/// given), <c>errors</c> (a percentage with <c>%</c>, else a count) and <c>rate</c> (successes per second). Without a
/// phase the condition holds for every phase; with one, for the phase of that name and every phase whose name starts with it and a space
/// (<c>create</c> is every create level, <c>create x1</c> only the one-client level), and a phase
/// prefix that names no phase of the run fails rather than passing unchecked.
/// </summary>
internal sealed partial record LoadThreshold(string Text, string? Phase, string Metric, string Operator, double Value, bool Percent)
{
    /// <exception cref="BenchInputException">The text does not follow the grammar above.</exception>
    public static LoadThreshold Parse(string text)
    {
        var match = Grammar().Match(text.Trim());
        if (!match.Success)
        {
            throw new BenchInputException($"threshold '{text}' is not [phase:]metric op value[unit] with metric p50, p90, p99, p99.9, max, errors or rate, op <, <=, > or >= (e.g. p99<50ms, errors<0.1%, create:rate>=2000/s)");
        }

        var metric = match.Groups["metric"].Value.ToLowerInvariant();
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        var latency = metric is not ("errors" or "rate");
        var fits = metric switch
        {
            "errors" => unit is "" or "%",
            "rate" => unit is "" or "/s",
            _ => unit is "" or "us" or "ms" or "s",
        };
        if (!fits)
        {
            throw new BenchInputException($"threshold '{text}': unit '{unit}' does not fit {metric} ({(latency ? "us, ms or s" : metric == "rate" ? "/s" : "% or none for a count")})");
        }

        var inMs = unit switch
        {
            "us" => value / 1000,
            "s" when latency => value * 1000,
            _ => value,
        };
        var phase = match.Groups["phase"].Success ? match.Groups["phase"].Value.Trim() : null;
        return new LoadThreshold(text.Trim(), string.IsNullOrEmpty(phase) ? null : phase, metric, match.Groups["op"].Value, inMs, unit == "%");
    }

    /// <summary>One verdict per phase the threshold applies to, or one failed verdict when it applies to none.</summary>
    public IReadOnlyList<ThresholdVerdict> Judge(IEnumerable<LoadFigures> phases)
    {
        var matching = phases.Where(p => Phase is null || p.Name.Equals(Phase, StringComparison.OrdinalIgnoreCase) || p.Name.StartsWith(Phase + " ", StringComparison.OrdinalIgnoreCase)).ToList();
        if (matching.Count == 0)
        {
            return [new ThresholdVerdict(Text, Phase ?? "(any)", "no such phase in this run", false)];
        }

        return [.. matching.Select(p =>
        {
            var measured = Measure(p);
            return new ThresholdVerdict(Text, p.Name, Describe(measured), Holds(measured));
        })];
    }

    private double Measure(LoadFigures p) => Metric switch
    {
        "p50" => p.P50Ms,
        "p90" => p.P90Ms,
        "p99" => p.P99Ms,
        "p99.9" => p.P999Ms,
        "max" => p.MaxMs,
        "errors" => Percent ? p.ErrorPercent : p.Errors,
        _ => p.PerSecond,
    };

    private bool Holds(double measured) => Operator switch
    {
        "<" => measured < Value,
        "<=" => measured <= Value,
        ">" => measured > Value,
        _ => measured >= Value,
    };

    private string Describe(double measured) => Metric switch
    {
        "errors" when Percent => string.Create(CultureInfo.InvariantCulture, $"{measured:0.###} %"),
        "errors" => string.Create(CultureInfo.InvariantCulture, $"{measured:0}"),
        "rate" => string.Create(CultureInfo.InvariantCulture, $"{measured:0}/s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{measured:0.00} ms"),
    };

    [GeneratedRegex(@"^(?:(?<phase>[^:<>=]+):)?\s*(?<metric>p50|p90|p99\.9|p99|max|errors|rate)\s*(?<op><=|>=|<|>)\s*(?<value>\d+(?:\.\d+)?)\s*(?<unit>us|ms|s|%|/s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
