using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A resource quantity (<c>500m</c>, <c>1.5Gi</c>, <c>2e3</c>) as apimachinery's <c>resource.Quantity</c> reads,
/// compares and prints it. <see cref="ToString"/> is Go's canonical form, which kube-apiserver's messages use
/// ("must be less than or equal to cpu limit of 500m"): binary amounts of at least 1024 in the largest exact power
/// of 1024, everything else as a decimal mantissa with an SI suffix whose exponent is a multiple of 3.
/// </summary>
internal readonly record struct Quantity(decimal Value, Quantity.Format Kind, string Literal) : IComparable<Quantity>
{
    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    internal enum Format
    {
        DecimalSI,
        BinarySI,
        DecimalExponent,
    }

    public bool IsNegative => Value < 0;

    /// <summary>apimachinery's <c>MilliValue</c>: the amount in thousandths, rounded up, held to a long's range.</summary>
    public long MilliValue => Math.Abs(Value) >= long.MaxValue / 1000m ? (IsNegative ? long.MinValue : long.MaxValue) : (long)decimal.Ceiling(Value * 1000m);

    /// <summary>Reads a quantity from a JSON string or number; false for what Go's <c>ParseQuantity</c> refuses or this cannot hold.</summary>
    public static bool TryRead(JsonNode? node, out Quantity quantity)
    {
        quantity = default;
        return node is JsonValue value && value.GetValueKind() switch
        {
            JsonValueKind.String => TryParse(value.GetValue<string>(), out quantity),
            JsonValueKind.Number => TryParse(value.ToJsonString(), out quantity),
            _ => false,
        };
    }

    public static bool TryParse(string text, out Quantity quantity)
    {
        quantity = default;
        var end = 0;
        if (end < text.Length && text[end] is '+' or '-')
        {
            end++;
        }

        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        var number = text[..end];
        var suffix = text[end..];
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        try
        {
            switch (suffix)
            {
                case "" or "n" or "u" or "m" or "k" or "M" or "G" or "T" or "P" or "E":
                    var exponent = suffix switch { "n" => -9, "u" => -6, "m" => -3, "k" => 3, "M" => 6, "G" => 9, "T" => 12, "P" => 15, "E" => 18, _ => 0 };
                    quantity = new Quantity(Scale(amount, exponent), Format.DecimalSI, text);
                    return true;
                case "Ki" or "Mi" or "Gi" or "Ti" or "Pi" or "Ei":
                    quantity = new Quantity(amount * (decimal)Math.Pow(1024, Array.IndexOf(BinarySuffixes, suffix)), Format.BinarySI, text);
                    return true;
                default:
                    if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var power) && Math.Abs(power) <= 18)
                    {
                        quantity = new Quantity(Scale(amount, power), Format.DecimalExponent, text);
                        return true;
                    }

                    return false;
            }
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public int CompareTo(Quantity other) => Value.CompareTo(other.Value);

    /// <summary>Go's <c>Quantity.String()</c>.</summary>
    public override string ToString()
    {
        if (Value == 0)
        {
            return "0";
        }

        if (Math.Abs(Value) >= 1e19m)
        {
            // Beyond exa, Go switches to arbitrary precision; such requests are rare enough to print as written.
            return Literal;
        }

        if (Kind == Format.BinarySI && Math.Abs(Value) >= 1024 && decimal.Truncate(Value) == Value)
        {
            var whole = new BigInteger(Value);
            var power = 0;
            while (power < BinarySuffixes.Length - 1 && whole % 1024 == 0)
            {
                whole /= 1024;
                power++;
            }

            return whole.ToString(CultureInfo.InvariantCulture) + BinarySuffixes[power];
        }

        // Go keeps nanos at most (rounding up), then strips trailing zeros and lowers the exponent to a multiple of 3.
        var mantissa = new BigInteger(decimal.Ceiling(Value * 1_000_000_000m));
        var exponent = -9;
        while (mantissa % 10 == 0)
        {
            mantissa /= 10;
            exponent++;
        }

        while (((exponent % 3) + 3) % 3 != 0)
        {
            mantissa *= 10;
            exponent--;
        }

        if (Kind == Format.DecimalExponent)
        {
            return mantissa.ToString(CultureInfo.InvariantCulture) + (exponent == 0 ? string.Empty : "e" + exponent.ToString(CultureInfo.InvariantCulture));
        }

        var decimalSuffix = exponent switch { -9 => "n", -6 => "u", -3 => "m", 0 => "", 3 => "k", 6 => "M", 9 => "G", 12 => "T", 15 => "P", 18 => "E", _ => null };
        return decimalSuffix is null ? Literal : mantissa.ToString(CultureInfo.InvariantCulture) + decimalSuffix;
    }

    private static decimal Scale(decimal amount, int exponent)
    {
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            amount = exponent > 0 ? amount * 10 : amount / 10;
        }

        return amount;
    }
}
