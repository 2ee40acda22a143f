using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.DaemonSets;

/// <summary>
/// Which nodes a DaemonSet's pod belongs on (upstream's NodeShouldRunDaemonPod): the template's node selector and
/// required node affinity must match the node, and every NoSchedule and NoExecute taint must be tolerated by the
/// template's tolerations plus the ones every daemon pod gets. A pod already on a node may stay while only NoSchedule
/// taints are untolerated; an untolerated NoExecute taint evicts it. Node readiness does not matter.
/// </summary>
internal static class DaemonNodes
{
    /// <summary>The tolerations the daemonset controller adds to every daemon pod (upstream's AddOrUpdateDaemonPodTolerations).</summary>
    public static IReadOnlyList<JsonObject> AutomaticTolerations { get; } =
    [
        Toleration("node.kubernetes.io/not-ready", "NoExecute"),
        Toleration("node.kubernetes.io/unreachable", "NoExecute"),
        Toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
        Toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
        Toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
        Toleration("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];

    /// <summary>Whether a new daemon pod should be placed on the node, and whether one already there may stay.</summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) Evaluate(JsonObject node, JsonObject? template)
    {
        var spec = template.Obj("spec");
        if (!SelectorMatches(spec.Obj("nodeSelector"), node) || !AffinityMatches(spec.Obj("affinity").Obj("nodeAffinity").Obj("requiredDuringSchedulingIgnoredDuringExecution"), node))
        {
            return (false, false);
        }

        var tolerations = spec.Arr("tolerations").Items().Select(i => i.Item as JsonObject).OfType<JsonObject>().Concat(AutomaticTolerations).ToList();
        var shouldRun = true;
        foreach (var (_, item) in node.Obj("spec").Arr("taints").Items())
        {
            if (item is not JsonObject taint || tolerations.Any(t => Tolerates(t, taint)))
            {
                continue;
            }

            switch (taint.Str("effect"))
            {
                case "NoExecute":
                    return (false, false);
                case "NoSchedule":
                    shouldRun = false;
                    break;
            }
        }

        return (shouldRun, true);
    }

    /// <summary>Whether <paramref name="toleration"/> tolerates <paramref name="taint"/> (upstream's ToleratesTaint).</summary>
    public static bool Tolerates(JsonObject toleration, JsonObject taint)
    {
        if (toleration.Str("effect") is { Length: > 0 } effect && effect != taint.Str("effect"))
        {
            return false;
        }

        var key = toleration.Str("key") ?? string.Empty;
        if (key.Length > 0 && key != taint.Str("key"))
        {
            return false;
        }

        return (toleration.Str("operator") ?? "Equal") switch
        {
            "Exists" => true,
            "Equal" => key.Length > 0 && (toleration.Str("value") ?? string.Empty) == (taint.Str("value") ?? string.Empty),
            _ => false,
        };
    }

    /// <summary>Adds the automatic tolerations a pod spec does not already carry.</summary>
    public static void AddAutomaticTolerations(JsonObject podSpec)
    {
        if (podSpec["tolerations"] is not JsonArray list)
        {
            podSpec["tolerations"] = list = [];
        }

        foreach (var toleration in AutomaticTolerations)
        {
            if (!list.OfType<JsonObject>().Any(t => t.Str("key") == toleration.Str("key") && t.Str("effect") == toleration.Str("effect") && t.Str("operator") == "Exists"))
            {
                list.Add((JsonNode)toleration.DeepClone());
            }
        }
    }

    /// <summary>
    /// Makes the pod spec require <paramref name="nodeName"/> through a <c>matchFields metadata.name</c> node affinity
    /// term (upstream's ReplaceDaemonSetPodNodeNameNodeAffinity), replacing any other required terms.
    /// </summary>
    public static void RequireNode(JsonObject podSpec, string nodeName)
    {
        var affinity = podSpec["affinity"] as JsonObject ?? [];
        var nodeAffinity = affinity["nodeAffinity"] as JsonObject ?? [];
        nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject
        {
            ["nodeSelectorTerms"] = new JsonArray(new JsonObject
            {
                ["matchFields"] = new JsonArray(new JsonObject
                {
                    ["key"] = "metadata.name",
                    ["operator"] = "In",
                    ["values"] = new JsonArray(nodeName),
                }),
            }),
        };
        affinity["nodeAffinity"] = nodeAffinity;
        podSpec["affinity"] = affinity;
    }

    private static JsonObject Toleration(string key, string effect) => new() { ["key"] = key, ["operator"] = "Exists", ["effect"] = effect };

    private static bool SelectorMatches(JsonObject? selector, JsonObject node)
    {
        var labels = node.Obj("metadata").Obj("labels");
        return selector.Entries().All(e => labels.Str(e.Key) == e.Value);
    }

    private static bool AffinityMatches(JsonObject? required, JsonObject node)
    {
        if (required is null)
        {
            return true;
        }

        return required.Arr("nodeSelectorTerms").Items().Any(i => i.Item is JsonObject term && TermMatches(term, node));
    }

    private static bool TermMatches(JsonObject term, JsonObject node)
    {
        var expressions = term.Arr("matchExpressions").Items().Select(i => i.Item).OfType<JsonObject>().ToList();
        var fields = term.Arr("matchFields").Items().Select(i => i.Item).OfType<JsonObject>().ToList();
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        var labels = node.Obj("metadata").Obj("labels");
        return expressions.All(e => RequirementMatches(e, labels.Str(e.Str("key") ?? string.Empty)))
            && fields.All(f => f.Str("key") == "metadata.name" && RequirementMatches(f, ObjectKeys.Name(node)));
    }

    private static bool RequirementMatches(JsonObject requirement, string? value)
    {
        var values = requirement.Arr("values").Items().Select(i => JsonFields.AsString(i.Item)).OfType<string>().ToList();
        return requirement.Str("operator") switch
        {
            "In" => value is not null && values.Contains(value),
            "NotIn" => value is null || !values.Contains(value),
            "Exists" => value is not null,
            "DoesNotExist" => value is null,
            "Gt" => Number(value) is { } v && values.Count == 1 && Number(values[0]) is { } limit && v > limit,
            "Lt" => Number(value) is { } v2 && values.Count == 1 && Number(values[0]) is { } limit2 && v2 < limit2,
            _ => false,
        };
    }

    private static long? Number(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;
}
