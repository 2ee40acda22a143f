using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace K3sLab.Perf.Load;

/// <summary>
/// Failed requests counted by kind, so a report says "HTTP 429: 310, timeout: 4" rather than only a total: an answer
/// with an unexpected status is <c>HTTP &lt;code&gt;</c>, no answer within the request timeout is <c>timeout</c>, a
/// transport failure is <c>transport: &lt;reason&gt;</c>, and an answer with the right status but the wrong content
/// (a list of the wrong length) is <c>wrong answer</c>. Thread-safe.
/// </summary>
internal sealed partial class ErrorKinds
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string kind, long count = 1) => _counts.AddOrUpdate(kind, count, (_, n) => n + count);

    /// <summary>The kind of a failure an operation described (see <see cref="Api.ApiRequests"/>: "METHOD path: status body").</summary>
    public static string OfDescription(string description) =>
        StatusInDescription().Match(description) is { Success: true } m ? "HTTP " + m.Groups[1].Value : "wrong answer";

    public static string OfException(Exception e) => e switch
    {
        TaskCanceledException => "timeout",
        HttpRequestException h => "transport: " + h.HttpRequestError,
        _ => e.GetType().Name,
    };

    /// <summary>Kinds by count, most first.</summary>
    public IReadOnlyList<(string Kind, long Count)> Counts() =>
        [.. _counts.Select(kv => (kv.Key, kv.Value)).OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)];

    /// <summary>"HTTP 429: 310, timeout: 4", or empty when nothing failed.</summary>
    public override string ToString() => string.Join(", ", Counts().Select(k => $"{k.Kind}: {k.Count}"));

    [GeneratedRegex(@"^[A-Z]+ \S*: (\d{3}) ")]
    private static partial Regex StatusInDescription();
}
