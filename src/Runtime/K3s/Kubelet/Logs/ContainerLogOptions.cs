using System.Globalization;

namespace K3sLab.K3s.Kubelet.Logs;

/// <summary>
/// The kubelet's <c>PodLogOptions</c> for <c>/containerLogs</c>: <c>follow</c>, <c>previous</c>, <c>timestamps</c>,
/// <c>tailLines</c> (or the legacy <c>tail</c>, where <c>all</c> means every line), <c>sinceSeconds</c>,
/// <c>sinceTime</c> (RFC 3339) and <c>limitBytes</c>. Pure.
/// </summary>
internal sealed record ContainerLogOptions
{
    public bool Follow { get; init; }

    public bool Previous { get; init; }

    public bool Timestamps { get; init; }

    public long? TailLines { get; init; }

    public long? SinceSeconds { get; init; }

    public DateTimeOffset? SinceTime { get; init; }

    public long? LimitBytes { get; init; }

    /// <summary>
    /// Reads the options from query parameters. Returns null with <paramref name="status"/> 400 when a value does
    /// not decode, or 422 when the options are invalid (negative tail, non-positive limit or since, both kinds of
    /// since), with the kubelet's JSON-ish message bodies.
    /// </summary>
    public static ContainerLogOptions? Parse(Func<string, string?> query, out int status, out string? error)
    {
        status = 200;
        error = null;
        var tail = query("tailLines");
        if (query("tail") is { Length: > 0 } legacy)
        {
            tail = legacy == "all" ? null : legacy;
        }

        if (!TryBool(query("follow"), out var follow) || !TryBool(query("previous"), out var previous) || !TryBool(query("timestamps"), out var timestamps)
            || !TryLong(tail, out var tailLines) || !TryLong(query("sinceSeconds"), out var sinceSeconds) || !TryLong(query("limitBytes"), out var limitBytes)
            || !TryTime(query("sinceTime"), out var sinceTime))
        {
            status = 400;
            error = """{"message": "Unable to decode query."}""";
            return null;
        }

        if (tailLines < 0 || limitBytes < 1 || sinceSeconds < 1 || (sinceSeconds is not null && sinceTime is not null))
        {
            status = 422;
            error = """{"message": "Invalid request."}""";
            return null;
        }

        return new ContainerLogOptions
        {
            Follow = follow,
            Previous = previous,
            Timestamps = timestamps,
            TailLines = tailLines,
            SinceSeconds = sinceSeconds,
            SinceTime = sinceTime,
            LimitBytes = limitBytes,
        };
    }

    /// <summary>The earliest time a line may have to be shown, if the options bound it.</summary>
    public DateTimeOffset? Since(DateTimeOffset now) => SinceTime ?? (SinceSeconds is { } seconds ? now.AddSeconds(-seconds) : null);

    private static bool TryBool(string? text, out bool value)
    {
        value = false;
        return string.IsNullOrEmpty(text) || bool.TryParse(text, out value) || (text is "1" && (value = true)) || text is "0";
    }

    private static bool TryLong(string? text, out long? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    private static bool TryTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (CriLogLine.TryParseTime(text, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}
