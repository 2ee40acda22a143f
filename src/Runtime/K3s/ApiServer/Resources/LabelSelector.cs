using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// A <c>labelSelector</c> query as kube-apiserver parses it: comma-separated requirements, each <c>k=v</c>,
/// <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c> or <c>!k</c>; all must hold. Pure.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Func<JsonObject?, bool>> _requirements = [];

    public static LabelSelector Everything { get; } = new();

    public bool IsEverything => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var part in SplitTopLevel(text))
        {
            selector._requirements.Add(Requirement(part.Trim(), text));
        }

        return selector;
    }

    /// <summary>
    /// A metav1 LabelSelector object in its string form, as kube formats it (<c>a=b,c in (d,e),f,!g</c>; empty for an
    /// empty selector): Scale's <c>status.selector</c>, the SELECTOR column, and budgets matched against pods.
    /// </summary>
    public static string Format(JsonObject selector)
    {
        var parts = new List<string>();
        if (selector["matchLabels"] is JsonObject labels && labels.Count > 0)
        {
            parts.Add(FormatMap(labels));
        }

        foreach (var expression in (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = Validation.JsonFields.AsString(expression["key"]) ?? string.Empty;
            var values = string.Join(',', (expression["values"] as JsonArray ?? []).Select(Validation.JsonFields.AsString).Order(StringComparer.Ordinal));
            parts.Add(Validation.JsonFields.AsString(expression["operator"]) switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                var other => $"{key} {other} ({values})",
            });
        }

        return string.Join(',', parts);
    }

    /// <summary>A plain label map (a ReplicationController's selector) as <c>a=b,c=d</c>, keys sorted.</summary>
    public static string FormatMap(JsonObject labels) =>
        string.Join(',', labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Validation.JsonFields.AsString(p.Value)}"));

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        return _requirements.All(r => r(labels));
    }

    private static Func<JsonObject?, bool> Requirement(string part, string whole)
    {
        static string? Value(JsonObject? labels, string key) => labels?[key]?.GetValue<string>();

        if (part.StartsWith('!'))
        {
            var key = Key(part[1..].Trim(), whole);
            return labels => Value(labels, key) is null;
        }

        foreach (var (op, negate) in new[] { (" notin ", true), (" in ", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = Key(part[..at].Trim(), whole);
                var list = part[(at + op.Length)..].Trim();
                if (!list.StartsWith('(') || !list.EndsWith(')'))
                {
                    throw Invalid(whole, "set-based requirements need a parenthesised list of values");
                }

                var values = list[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                return negate
                    ? labels => Value(labels, key) is not { } v || !values.Contains(v)
                    : labels => Value(labels, key) is { } v && values.Contains(v);
            }
        }

        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = Key(part[..at].Trim(), whole);
                var value = part[(at + op.Length)..].Trim();
                return negate ? labels => Value(labels, key) != value : labels => Value(labels, key) == value;
            }
        }

        var exists = Key(part, whole);
        return labels => Value(labels, exists) is not null;
    }

    private static string Key(string key, string whole) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
            ? key
            : throw Invalid(whole, $"invalid label key \"{key}\"");

    /// <summary>Splits on commas outside parentheses.</summary>
    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static ApiStatusException Invalid(string selector, string why) =>
        ApiErrors.BadRequest($"unable to parse requirement: {why} (in label selector \"{selector}\")");
}
