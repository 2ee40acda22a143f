using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Label selectors of workloads (<c>metav1.LabelSelector</c>): their validation with apimachinery's messages, and
/// matching as <c>LabelSelectorAsSelector</c> builds it, where a missing selector selects nothing and an empty one
/// everything. A selector that fails validation cannot be built at all, which the callers report in their own words.
/// </summary>
internal static class SelectorRules
{
    /// <summary>Validates a selector; returns whether it is usable (it would convert to a selector).</summary>
    public static bool Validate(JsonObject? selector, string path, FieldErrorList errors)
    {
        if (selector is null)
        {
            return true;
        }

        var before = errors.Count;
        MetadataRules.Labels(selector.Obj("matchLabels"), $"{path}.matchLabels", errors);
        foreach (var (i, expression) in selector.Arr("matchExpressions").Items())
        {
            var at = $"{path}.matchExpressions[{i}]";
            var values = expression.Arr("values");
            var op = expression.Str("operator") ?? string.Empty;
            switch (op)
            {
                case "In" or "NotIn":
                    if (values is not { Count: > 0 })
                    {
                        errors.Required($"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values is { Count: > 0 })
                    {
                        errors.Forbidden($"{at}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    }

                    break;
                default:
                    errors.Invalid($"{at}.operator", op, "not a valid selector operator");
                    break;
            }

            MetadataRules.LabelName(expression.Str("key") ?? string.Empty, $"{at}.key", errors);
            foreach (var (j, value) in values.Items())
            {
                var text = JsonFields.AsString(value) ?? string.Empty;
                errors.InvalidEach($"{at}.values[{j}]", text, Formats.LabelValue(text));
            }
        }

        return errors.Count == before;
    }

    /// <summary>Whether the selector has neither match labels nor expressions (and so selects everything).</summary>
    public static bool IsEmpty(JsonObject selector) =>
        selector.Obj("matchLabels") is not { Count: > 0 } && selector.Arr("matchExpressions") is not { Count: > 0 };

    /// <summary>Whether a usable selector selects the labels: a missing selector selects nothing, an empty one everything.</summary>
    public static bool Matches(JsonObject? selector, JsonObject? labels)
    {
        if (selector is null)
        {
            return false;
        }

        var set = labels.Entries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (selector.Obj("matchLabels").Entries().Any(e => !set.TryGetValue(e.Key, out var v) || v != e.Value))
        {
            return false;
        }

        foreach (var (_, expression) in selector.Arr("matchExpressions").Items())
        {
            var has = set.TryGetValue(expression.Str("key") ?? string.Empty, out var value);
            var values = expression.Arr("values").Items().Select(v => JsonFields.AsString(v.Item)).ToHashSet(StringComparer.Ordinal);
            var matches = expression.Str("operator") switch
            {
                "In" => has && values.Contains(value),
                "NotIn" => !has || !values.Contains(value),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A controller's map selector (ReplicationController) as a set of required labels.</summary>
    public static bool MatchesMap(JsonObject selector, JsonObject? labels)
    {
        var set = labels.Entries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        return selector.Entries().All(e => set.TryGetValue(e.Key, out var v) && v == e.Value);
    }
}
