using System.Globalization;
using System.Text.RegularExpressions;

namespace K3sLab.Perf.Raft;

/// <summary>
/// A snapshot one of our members wrote in the background, as its log told the harness: when the line saying it began
/// and the line saying it ended arrived (UTC, the harness's clock, the one the levels are timed with), and its size.
/// <see cref="Ended"/> is null while the write is still going.
/// </summary>
internal sealed partial record SnapshotWrite(string Member, ulong Index, long Bytes, DateTime Started, DateTime? Ended)
{
    /// <summary>Whether the write was in progress at any moment of [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool Overlaps(DateTime from, DateTime to) => Started < to && (Ended ?? DateTime.MaxValue) > from;

    /// <summary>"m1 at index 155,300 (206 MB, 18:21:55.1-18:21:59.2)", in local time as the progress lines print it.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Member} at index {Index:N0} ({Bytes / 1e6:0} MB, {Started.ToLocalTime():HH:mm:ss.f}-{(Ended is { } end ? end.ToLocalTime().ToString("HH:mm:ss.f", CultureInfo.InvariantCulture) : "not finished")})");

    /// <summary>The member's line that starts a background snapshot write (the runtime's event 4013): its index and size.</summary>
    public static bool TryParseStart(string line, out ulong index, out long bytes)
    {
        var match = StartLine().Match(line);
        index = match.Success ? ulong.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        bytes = match.Success ? long.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 0;
        return match.Success;
    }

    /// <summary>
    /// The member's line that ends one (event 4003, written, in its current wording or the one before; or 4012,
    /// abandoned): the index it was at.
    /// </summary>
    public static bool TryParseEnd(string line, out ulong index)
    {
        var match = EndLine().Match(line);
        index = match.Success ? ulong.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        return match.Success;
    }

    [GeneratedRegex(@"\[4013\] Writing a snapshot at index (\d+) \((\d+) bytes\)")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"\[(?:4003\] (?:Wrote the|Took a) snapshot|4012\] Stopped writing this member's snapshot) at index (\d+)")]
    private static partial Regex EndLine();
}
