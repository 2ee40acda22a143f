using System.Globalization;
using System.Text;

namespace K3sLab.K3s.Kubelet.Logs;

/// <summary>
/// One line of a CRI container log file, <c>&lt;RFC3339Nano time&gt; &lt;stdout|stderr&gt; &lt;F|P&gt; &lt;message&gt;</c>, as
/// <see cref="Pods.ProcessRuntime"/> writes them and the kubelet reads them. Pure.
/// </summary>
/// <param name="Time">When the line was written.</param>
/// <param name="RawTime">The time exactly as written in the file.</param>
/// <param name="Partial">Tag <c>P</c>: the message continues in the next line, so no newline follows it.</param>
/// <param name="Message">The bytes the container wrote, without the newline.</param>
internal readonly record struct CriLogLine(DateTimeOffset Time, string RawTime, bool Partial, ReadOnlyMemory<byte> Message)
{
    /// <summary>Parses a line without its newline; false when it is not in the CRI format.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> line, out CriLogLine parsed)
    {
        parsed = default;
        var span = line.Span;
        var first = span.IndexOf((byte)' ');
        if (first <= 0)
        {
            return false;
        }

        var rest = span[(first + 1)..];
        var second = rest.IndexOf((byte)' ');
        if (second <= 0)
        {
            return false;
        }

        var tagStart = first + 1 + second + 1;
        var tagEnd = span[tagStart..].IndexOf((byte)' ');
        var tag = tagEnd < 0 ? span[tagStart..] : span[tagStart..(tagStart + tagEnd)];
        if (tag.IsEmpty)
        {
            return false;
        }

        var raw = Encoding.ASCII.GetString(span[..first]);
        if (!TryParseTime(raw, out var time))
        {
            return false;
        }

        var message = tagEnd < 0 ? ReadOnlyMemory<byte>.Empty : line[(tagStart + tagEnd + 1)..];
        parsed = new CriLogLine(time, raw, tag.IndexOf((byte)'P') == 0, message);
        return true;
    }

    /// <summary>
    /// The time as Go's <c>time.RFC3339Nano</c> prints it, which is what <c>timestamps=true</c> shows: the fraction
    /// without trailing zeros (and without the dot when it is all zeros).
    /// </summary>
    public string Rfc3339Nano
    {
        get
        {
            var dot = RawTime.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return RawTime;
            }

            var zone = RawTime.IndexOfAny(['Z', '+', '-'], dot);
            var end = zone < 0 ? RawTime.Length : zone;
            var fraction = RawTime[(dot + 1)..end].TrimEnd('0');
            return RawTime[..dot] + (fraction.Length > 0 ? "." + fraction : string.Empty) + RawTime[end..];
        }
    }

    /// <summary>Parses RFC 3339 with up to nine fraction digits (.NET keeps seven).</summary>
    internal static bool TryParseTime(string text, out DateTimeOffset time)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var normalized = text;
        if (dot >= 0)
        {
            var zone = text.IndexOfAny(['Z', '+', '-'], dot);
            var end = zone < 0 ? text.Length : zone;
            var digits = text[(dot + 1)..end];
            normalized = text[..dot] + (digits.Length > 0 ? "." + (digits.Length > 7 ? digits[..7] : digits) : string.Empty) + text[end..];
        }

        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out time);
    }
}
