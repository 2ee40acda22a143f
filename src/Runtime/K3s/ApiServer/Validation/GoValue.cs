using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A bad value as kube-apiserver 1.33 prints it in a field error (apimachinery's <c>field.Error.ErrorBody</c>):
/// strings quoted as Go's <c>%q</c> does, integers bare, and anything else in Go syntax (<c>%#v</c>), e.g.
/// <c>map[string]string{"app":"b"}</c> or <c>v1.LabelSelector{MatchLabels:..., MatchExpressions:...}</c>, which is
/// what kubectl shows after "Invalid value:".
/// </summary>
internal readonly record struct GoValue(string Text)
{
    public static implicit operator GoValue(string value) => new(Quote(value));

    public static implicit operator GoValue(long value) => new(value.ToString(CultureInfo.InvariantCulture));

    public override string ToString() => Text;

    /// <summary>Go's <c>strconv.Quote</c>: printable characters kept, the rest escaped.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\a':
                    builder.Append(@"\a");
                    break;
                case '\b':
                    builder.Append(@"\b");
                    break;
                case '\f':
                    builder.Append(@"\f");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                case '\v':
                    builder.Append(@"\v");
                    break;
                default:
                    AppendRune(builder, rune);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary><c>map[string]string{"a":"b", "c":"d"}</c> with keys sorted, or <c>map[string]string(nil)</c> when absent.</summary>
    public static GoValue StringMap(JsonNode? map) => new(StringMapText(map));

    /// <summary><c>[]string{"a", "b"}</c>, or <c>[]string(nil)</c> when absent.</summary>
    public static GoValue StringSlice(JsonNode? list) => new(StringSliceText(list));

    /// <summary>A label selector as <c>%#v</c> prints the <c>metav1.LabelSelector</c> a pointer points to; a nil pointer is "null".</summary>
    public static GoValue LabelSelector(JsonNode? selector)
    {
        if (selector is not JsonObject obj)
        {
            return "null";
        }

        var expressions = obj["matchExpressions"] is JsonArray list
            ? "[]v1.LabelSelectorRequirement{" + string.Join(", ", list.Select(e =>
                $"v1.LabelSelectorRequirement{{Key:{Quote(e.Str("key") ?? string.Empty)}, Operator:{Quote(e.Str("operator") ?? string.Empty)}, Values:{StringSliceText(e?["values"])}}}")) + "}"
            : "[]v1.LabelSelectorRequirement(nil)";
        return new GoValue($"v1.LabelSelector{{MatchLabels:{StringMapText(obj["matchLabels"])}, MatchExpressions:{expressions}}}");
    }

    /// <summary>An <c>intstr.IntOrString</c> as <c>%#v</c> prints it (type 0 for an int, 1 for a string).</summary>
    public static GoValue IntOrString(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? new GoValue($"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{Quote(v.GetValue<string>())}}}")
            : new GoValue($"intstr.IntOrString{{Type:0, IntVal:{JsonFields.AsLong(value) ?? 0}, StrVal:\"\"}}");

    /// <summary>
    /// An update strategy struct as <c>%#v</c> prints it, e.g. <c>apps.DeploymentStrategy{Type:"X", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}</c>.
    /// Go prints a set pointer as its address, which no client can depend on; a fixed one stands in for it.
    /// </summary>
    public static GoValue Strategy(string type, JsonNode? strategy, string rollingType) =>
        new($"{type}{{Type:{Quote(strategy.Str("type") ?? string.Empty)}, RollingUpdate:(*{rollingType})({(strategy?["rollingUpdate"] is JsonObject ? "0xc000100000" : "nil")})}}");

    private static string StringMapText(JsonNode? map)
    {
        if (map is not JsonObject obj)
        {
            return "map[string]string(nil)";
        }

        var entries = obj.Select(e => (e.Key, Value: JsonFields.AsString(e.Value) ?? string.Empty)).OrderBy(e => e.Key, StringComparer.Ordinal);
        return "map[string]string{" + string.Join(", ", entries.Select(e => Quote(e.Key) + ":" + Quote(e.Value))) + "}";
    }

    private static string StringSliceText(JsonNode? list) =>
        list is JsonArray items
            ? "[]string{" + string.Join(", ", items.Select(i => Quote(JsonFields.AsString(i) ?? string.Empty))) + "}"
            : "[]string(nil)";

    private static void AppendRune(StringBuilder builder, Rune rune)
    {
        if (IsPrint(rune))
        {
            builder.Append(rune.ToString());
        }
        else if (rune.Value < 0x80)
        {
            builder.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
        }
        else if (rune.Value < 0x10000)
        {
            builder.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
        }
        else
        {
            builder.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}");
        }
    }

    /// <summary>Go's <c>strconv.IsPrint</c>: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsPrint(Rune rune)
    {
        if (rune.Value < 0x80)
        {
            return rune.Value is >= 0x20 and < 0x7f;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator => false,
            _ => true,
        };
    }
}
