using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A <c>resource.Quantity</c> as a field error prints it when kube passes the quantity itself, not its string (as
/// autoscaling's "must be positive" does): <c>Quantity.String</c> has a pointer receiver, so the error falls back to
/// <c>%#v</c> of the struct, e.g. <c>resource.Quantity{i:resource.int64Amount{value:-1, scale:0},
/// d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"-1", Format:"DecimalSI"}</c>. The fields are what Go's
/// <c>ParseQuantity</c> leaves: the digits as written and a scale, the literal kept in <c>s</c> only when it is
/// canonical. Amounts beyond its int64 fast path live in an <c>inf.Dec</c>, printed as a pointer that stands in for
/// Go's address.
/// </summary>
internal static class GoQuantity
{
    private const string Prefix = "resource.Quantity{i:resource.int64Amount{value:";

    /// <summary>The struct dump for a quantity read from JSON (a string or a number).</summary>
    public static GoValue Of(JsonNode? node)
    {
        var literal = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? string.Empty;
        if (literal == "0")
        {
            return Dump(0, 0, "0", "DecimalSI");
        }

        var (negative, number, fraction, suffix) = Split(literal);
        var (format, exponent) = suffix switch
        {
            "" => ("DecimalSI", 0),
            "n" => ("DecimalSI", -9),
            "u" => ("DecimalSI", -6),
            "m" => ("DecimalSI", -3),
            "k" => ("DecimalSI", 3),
            "M" => ("DecimalSI", 6),
            "G" => ("DecimalSI", 9),
            "T" => ("DecimalSI", 12),
            "P" => ("DecimalSI", 15),
            "E" => ("DecimalSI", 18),
            "Ki" or "Mi" or "Gi" or "Ti" or "Pi" or "Ei" => ("BinarySI", 10 * (1 + "KMGTPE".IndexOf(suffix[0], StringComparison.Ordinal))),
            _ => ("DecimalExponent", int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) ? e : 0),
        };

        var digits = number + fraction;
        if (format == "BinarySI")
        {
            if (fraction.Length == 0 && 15 - number.Length - (int)(exponent * 3f / 10) - 1 >= 0
                && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var whole) && whole <= long.MaxValue >> exponent)
            {
                var canonical = exponent % 10 == 0 && (whole & 7) != 0;
                return Dump(negative ? -(whole << exponent) : whole << exponent, 0, canonical ? literal : string.Empty, format);
            }
        }
        else
        {
            var scale = exponent - fraction.Length;
            if (18 - digits.Length >= 0 && scale >= -9 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                var canonical = scale % 3 == 0 && !digits.EndsWith("000", StringComparison.Ordinal) && digits[0] != '0';
                return Dump(negative ? -value : value, scale, canonical ? literal : string.Empty, format);
            }
        }

        return new GoValue($"{Prefix}0, scale:0}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(0xc000100000)}}, s:\"\", Format:{GoValue.Quote(format)}}}");
    }

    private static GoValue Dump(long value, int scale, string s, string format) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{value}, scale:{scale}}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{GoValue.Quote(s)}, Format:{GoValue.Quote(format)}}}"));

    /// <summary>Go's <c>parseQuantityString</c>: sign, the whole digits without leading zeros ("0" when none), the fraction, the suffix.</summary>
    private static (bool Negative, string Number, string Fraction, string Suffix) Split(string text)
    {
        var pos = 0;
        var negative = false;
        if (pos < text.Length && text[pos] is '+' or '-')
        {
            negative = text[pos] == '-';
            pos++;
        }

        while (pos < text.Length && text[pos] == '0')
        {
            pos++;
        }

        if (pos == text.Length)
        {
            return (negative, "0", string.Empty, string.Empty);
        }

        var start = pos;
        while (pos < text.Length && char.IsAsciiDigit(text[pos]))
        {
            pos++;
        }

        var number = pos == start ? "0" : text[start..pos];
        var fraction = string.Empty;
        if (pos < text.Length && text[pos] == '.')
        {
            var fractionStart = ++pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }

            fraction = text[fractionStart..pos];
        }

        return (negative, number, fraction, text[pos..]);
    }
}
