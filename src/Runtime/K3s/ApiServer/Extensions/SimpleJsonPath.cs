using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>[0]</c>, <c>[*]</c>, <c>['key.with.dots']</c> and the
/// equality filter <c>[?(@.type=="Ready")]</c>, optionally wrapped in braces. Evaluation never throws: a path that
/// finds nothing yields no values. Pure.
/// </summary>
internal static class SimpleJsonPath
{
    public static Func<JsonNode?, IReadOnlyList<JsonNode?>> Compile(string path)
    {
        var steps = Parse(path.Trim().TrimStart('{').TrimEnd('}'));
        return root =>
        {
            IEnumerable<JsonNode?> current = [root];
            foreach (var step in steps)
            {
                current = current.SelectMany(step).ToList();
            }

            return current.Where(n => n is not null).ToList();
        };
    }

    private static List<Func<JsonNode?, IEnumerable<JsonNode?>>> Parse(string path)
    {
        var steps = new List<Func<JsonNode?, IEnumerable<JsonNode?>>>();
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '['))
                {
                    end++;
                }

                var name = path[(i + 1)..end];
                if (name.Length > 0)
                {
                    steps.Add(n => n is JsonObject o && o.TryGetPropertyValue(name, out var child) ? [child] : []);
                }

                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                {
                    return [_ => []];
                }

                // A filter's expression may itself hold brackets only in quotes; take up to ")]" for filters.
                if (path.AsSpan(i).StartsWith("[?(") && path.IndexOf(")]", i, StringComparison.Ordinal) is var close and > 0)
                {
                    end = close + 1;
                }

                steps.Add(Bracket(path[(i + 1)..end]));
                i = end + 1;
            }
            else
            {
                return [_ => []];
            }
        }

        return steps;
    }

    private static Func<JsonNode?, IEnumerable<JsonNode?>> Bracket(string inside)
    {
        if (inside == "*")
        {
            return n => n switch
            {
                JsonArray a => a,
                JsonObject o => o.Select(p => p.Value),
                _ => [],
            };
        }

        if (int.TryParse(inside, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return n => n is JsonArray a && (index < 0 ? a.Count + index : index) is var at && at >= 0 && at < a.Count ? [a[at]] : [];
        }

        if (inside.Length >= 2 && inside[0] is '\'' or '"' && inside[^1] == inside[0])
        {
            var key = inside[1..^1];
            return n => n is JsonObject o && o.TryGetPropertyValue(key, out var child) ? [child] : [];
        }

        if (inside.StartsWith("?(@.", StringComparison.Ordinal) && inside.EndsWith(')') && inside.IndexOf("==", StringComparison.Ordinal) is var eq and > 0)
        {
            var field = inside[4..eq].Trim();
            var expected = inside[(eq + 2)..^1].Trim().Trim('"', '\'');
            return n => (n as JsonArray ?? []).Where(item => item is JsonObject o && o[field] is JsonValue v && Matches(v, expected));
        }

        return _ => [];
    }

    private static bool Matches(JsonValue value, string expected) =>
        value.TryGetValue<string>(out var s) ? s == expected : value.ToJsonString() == expected;
}
