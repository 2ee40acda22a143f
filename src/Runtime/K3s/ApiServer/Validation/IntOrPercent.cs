using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Rolling-update bounds (<c>maxUnavailable</c>, <c>maxSurge</c>): an <c>IntOrString</c> that is a non-negative
/// integer or a percent string, read as apps' validation reads it (an unset value is the integer 0).
/// </summary>
internal static class IntOrPercent
{
    public static void Positive(JsonNode? value, string path, FieldErrorList errors)
    {
        if (JsonFields.AsString(value) is { } text)
        {
            foreach (var message in Formats.Percent(text))
            {
                errors.Invalid(path, GoValue.IntOrString(value), message);
            }
        }
        else
        {
            errors.NonNegative(path, JsonFields.AsLong(value));
        }
    }

    public static void NotMoreThan100Percent(JsonNode? value, string path, FieldErrorList errors)
    {
        if (Percent(value) is > 100)
        {
            errors.Invalid(path, GoValue.IntOrString(value), "must not be greater than 100%");
        }
    }

    /// <summary>The percent, the integer, or what Go's <c>IntValue()</c> makes of another string (0 unless it is a number).</summary>
    public static long Value(JsonNode? value) =>
        Percent(value) ?? (JsonFields.AsString(value) is { } text
            ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0
            : JsonFields.AsLong(value) ?? 0);

    private static long? Percent(JsonNode? value) =>
        JsonFields.AsString(value) is { } text && Formats.Percent(text).Count == 0
            && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) ? percent : null;
}
