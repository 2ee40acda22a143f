using System.Globalization;

namespace K3sLab.Scenarios.Chaos.Workloads;

/// <summary>
/// One call of the Service probe: a DNS lookup of the Service's name and an HTTP GET to the address it gave, as the
/// client pod's shell made it. Times are seconds since the run started.
/// </summary>
/// <param name="Start">When the lookup began.</param>
/// <param name="End">When the answer came, or the call gave up.</param>
/// <param name="Ok">Whether a web pod answered.</param>
/// <param name="Answer">The answering pod's name, or what went wrong (<see cref="Kind"/> in short).</param>
public sealed record ServiceProbeCall(double Start, double End, bool Ok, string Answer)
{
    /// <summary>How long one call may take before the probe gives up on it (the shell's <c>timeout</c>).</summary>
    public const int TimeoutSeconds = 3;

    /// <summary>A failure in a few words: <c>timeout</c>, <c>no such name</c>, <c>refused</c>, <c>no route</c>, or the error itself.</summary>
    public string Kind => Ok ? "ok"
        : Answer.StartsWith("exit 124", StringComparison.Ordinal) ? "timeout"
        : Answer.Contains("Name or service not known", StringComparison.Ordinal) || Answer.Contains("name resolution", StringComparison.Ordinal) ? "no such name"
        : Answer.Contains("Connection refused", StringComparison.Ordinal) ? "refused"
        : Answer.Contains("No route to host", StringComparison.Ordinal) ? "no route"
        : Answer;

    /// <summary>
    /// Reads one line of the client pod's output: <c>&lt;start&gt; &lt;end&gt; &lt;exit code&gt; &lt;output&gt;</c>,
    /// the times as bash's <c>$EPOCHREALTIME</c> (seconds since 1970, microseconds after the point). Returns null for
    /// a line of another shape (a torn last line).
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="runStartedAt">The run's start on the same wall clock (the nodes share the host's kernel clock).</param>
    public static ServiceProbeCall? Parse(string line, DateTimeOffset runStartedAt)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 3
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var start)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var end)
            || !int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
        {
            return null;
        }

        var origin = runStartedAt.ToUnixTimeMilliseconds() / 1000.0;
        var output = parts.Length == 4 ? parts[3].Trim() : "";
        const string Greeting = "hello from ";
        var ok = code == 0 && output.StartsWith(Greeting, StringComparison.Ordinal);
        return new ServiceProbeCall(start - origin, end - origin, ok, ok ? output[Greeting.Length..] : $"exit {code}: {output}".TrimEnd(' ', ':'));
    }
}
