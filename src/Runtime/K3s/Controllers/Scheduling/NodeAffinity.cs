using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// Node selection by labels (upstream's NodeAffinity plugin and <c>nodeaffinity.NodeSelector</c>): a pod's
/// <c>spec.nodeSelector</c> must all match, and its required node affinity's <c>nodeSelectorTerms</c> are ORed,
/// each term ANDing its <c>matchExpressions</c> (In, NotIn, Exists, DoesNotExist, Gt, Lt on labels) and
/// <c>matchFields</c> (In, NotIn on <c>metadata.name</c>). An empty term, or one that cannot be read, matches nothing.
/// </summary>
internal static class NodeAffinity
{
    /// <summary>Whether <paramref name="node"/> passes the pod's node selector and required node affinity.</summary>
    public static bool Matches(SchedulingPod pod, SchedulingNode node)
    {
        foreach (var (key, value) in pod.NodeSelector)
        {
            if (!node.Labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return pod.RequiredNodeAffinity is not { } required || MatchesAnyTerm(required, node.Labels, node.Name);
    }

    /// <summary>Whether any of the <c>nodeSelectorTerms</c> of <paramref name="selector"/> (a v1 NodeSelector) matches.</summary>
    public static bool MatchesAnyTerm(JsonObject selector, IReadOnlyDictionary<string, string> labels, string nodeName)
    {
        foreach (var (_, term) in selector.Arr("nodeSelectorTerms").Items())
        {
            if (term is JsonObject t && MatchesTerm(t, labels, nodeName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The sum of the weights of the pod's preferred node affinity terms that <paramref name="node"/> matches.</summary>
    public static long PreferredWeight(SchedulingPod pod, SchedulingNode node)
    {
        long total = 0;
        foreach (var (_, item) in (pod.PreferredNodeAffinity ?? []).Items())
        {
            if (item.Obj("preference") is { } preference && item.Long("weight") is { } weight && weight != 0 && MatchesTerm(preference, node.Labels, node.Name))
            {
                total += weight;
            }
        }

        return total;
    }

    /// <summary>One NodeSelectorTerm: every expression and field requirement holds, and there is at least one.</summary>
    public static bool MatchesTerm(JsonObject term, IReadOnlyDictionary<string, string> labels, string nodeName)
    {
        var expressions = term.Arr("matchExpressions");
        var fields = term.Arr("matchFields");
        if (expressions is not { Count: > 0 } && fields is not { Count: > 0 })
        {
            return false;
        }

        foreach (var (_, expression) in expressions.Items())
        {
            var key = expression.Str("key") ?? string.Empty;
            if (!Requirement(expression.Str("operator"), labels.TryGetValue(key, out var value) ? value : null, Values(expression)))
            {
                return false;
            }
        }

        foreach (var (_, field) in fields.Items())
        {
            if (field.Str("key") != "metadata.name" || field.Str("operator") is not ("In" or "NotIn")
                || !Requirement(field.Str("operator"), nodeName, Values(field)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A requirement on a value that is present (non-null) or absent, as labels.Requirement.Matches reads it.</summary>
    public static bool Requirement(string? op, string? value, IReadOnlyList<string> values) => op switch
    {
        "In" => value is not null && values.Contains(value),
        "NotIn" => value is null || !values.Contains(value),
        "Exists" => value is not null,
        "DoesNotExist" => value is null,
        "Gt" or "Lt" => value is not null && values.Count == 1
            && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
            && long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)
            && (op == "Gt" ? actual > bound : actual < bound),
        _ => false,
    };

    private static List<string> Values(JsonNode? requirement) =>
        [.. requirement.Arr("values").Items().Select(v => JsonFields.AsString(v.Item) ?? string.Empty)];
}
