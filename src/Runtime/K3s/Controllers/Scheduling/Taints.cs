using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>A node taint (<c>key=value:effect</c>).</summary>
internal readonly record struct Taint(string Key, string Value, string Effect)
{
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";
    public const string PreferNoSchedule = "PreferNoSchedule";

    /// <summary>The taint as kube-scheduler prints it in "had untolerated taint" reasons: <c>{key: value}</c>.</summary>
    public string Describe() => $"{{{Key}: {Value}}}";

    /// <summary>The taints of a node's <c>spec.taints</c>.</summary>
    public static List<Taint> Of(JsonObject node) =>
        [.. node.Obj("spec").Arr("taints").Items().Select(t => new Taint(t.Item.Str("key") ?? string.Empty, t.Item.Str("value") ?? string.Empty, t.Item.Str("effect") ?? string.Empty))];
}

/// <summary>A pod toleration, matched against taints with upstream's <c>ToleratesTaint</c> rules.</summary>
internal readonly record struct Toleration(string Key, string Operator, string Value, string Effect)
{
    /// <summary>The tolerations of a pod's <c>spec.tolerations</c>.</summary>
    public static List<Toleration> Of(JsonObject? spec) =>
        [.. spec.Arr("tolerations").Items().Select(t => new Toleration(t.Item.Str("key") ?? string.Empty, t.Item.Str("operator") ?? string.Empty, t.Item.Str("value") ?? string.Empty, t.Item.Str("effect") ?? string.Empty))];

    /// <summary>
    /// Whether this toleration tolerates <paramref name="taint"/>: an empty effect matches every effect, an empty key
    /// every key; operator <c>Exists</c> ignores the value, <c>Equal</c> (or empty) needs the same value, and any other
    /// operator tolerates nothing.
    /// </summary>
    public bool Tolerates(Taint taint)
    {
        if (Effect.Length > 0 && Effect != taint.Effect)
        {
            return false;
        }

        if (Key.Length > 0 && Key != taint.Key)
        {
            return false;
        }

        return Operator switch
        {
            "Exists" => true,
            "" or "Equal" => Value == taint.Value,
            _ => false,
        };
    }

    /// <summary>
    /// The first of <paramref name="taints"/> with one of <paramref name="effects"/> that none of
    /// <paramref name="tolerations"/> tolerates, or null when all are tolerated.
    /// </summary>
    public static Taint? FirstUntolerated(IReadOnlyList<Taint> taints, IReadOnlyList<Toleration> tolerations, params ReadOnlySpan<string> effects)
    {
        foreach (var taint in taints)
        {
            if (!effects.Contains(taint.Effect))
            {
                continue;
            }

            var tolerated = false;
            foreach (var toleration in tolerations)
            {
                if (toleration.Tolerates(taint))
                {
                    tolerated = true;
                    break;
                }
            }

            if (!tolerated)
            {
                return taint;
            }
        }

        return null;
    }

    /// <summary>How many of <paramref name="taints"/> with effect <c>PreferNoSchedule</c> are not tolerated (the TaintToleration score's input).</summary>
    public static int CountUntoleratedPreferNoSchedule(IReadOnlyList<Taint> taints, IReadOnlyList<Toleration> tolerations)
    {
        var count = 0;
        foreach (var taint in taints)
        {
            if (taint.Effect == Taint.PreferNoSchedule && !tolerations.Any(t => (t.Effect.Length == 0 || t.Effect == Taint.PreferNoSchedule) && t.Tolerates(taint)))
            {
                count++;
            }
        }

        return count;
    }
}
