using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// The taints the node lifecycle controller owns, derived from a node's conditions as upstream does:
/// <list type="bullet">
/// <item>NoExecute (taint-based eviction): <c>node.kubernetes.io/not-ready</c> while Ready is False,
/// <c>node.kubernetes.io/unreachable</c> while it is Unknown, neither while True; stamped with <c>timeAdded</c>.</item>
/// <item>NoSchedule (TaintNodesByCondition): the same two keys, plus <c>memory-pressure</c>, <c>disk-pressure</c>,
/// <c>pid-pressure</c> and <c>network-unavailable</c> while those conditions are True, and <c>unschedulable</c> while
/// <c>spec.unschedulable</c> is set.</item>
/// </list>
/// Taints of other keys, and an owned taint that stays, are kept as they are (its <c>timeAdded</c> included). A node
/// without a Ready condition gets no NoExecute change. Pure.
/// </summary>
internal static class NodeTaints
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string OutOfService = "node.kubernetes.io/out-of-service";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";

    private static readonly (string Condition, string Status, string Key)[] NoScheduleByCondition =
    [
        ("Ready", "False", NotReady),
        ("Ready", "Unknown", Unreachable),
        ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
        ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
        ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
    ];

    /// <summary>The node's new <c>spec.taints</c>, or null when they are already right.</summary>
    public static JsonArray? Reconcile(JsonObject node, DateTimeOffset now)
    {
        var existing = node.Obj("spec").Arr("taints")?.OfType<JsonObject>().ToList() ?? [];
        var wanted = Wanted(node);
        var ownedNoExecute = PodState.Condition(node, "Ready") is not null;
        bool Owned(JsonObject taint) => taint.Str("effect") switch
        {
            "NoSchedule" => NoScheduleByCondition.Any(c => c.Key == taint.Str("key")) || taint.Str("key") == Unschedulable,
            "NoExecute" => ownedNoExecute && taint.Str("key") is NotReady or Unreachable,
            _ => false,
        };

        var result = new JsonArray();
        var changed = false;
        foreach (var taint in existing)
        {
            if (Owned(taint) && !wanted.Contains((taint.Str("key")!, taint.Str("effect")!)))
            {
                changed = true;
                continue;
            }

            result.Add(taint.DeepClone());
        }

        foreach (var (key, effect) in wanted)
        {
            if (!existing.Any(t => t.Str("key") == key && t.Str("effect") == effect))
            {
                var taint = new JsonObject { ["key"] = key, ["effect"] = effect };
                if (effect == "NoExecute")
                {
                    taint["timeAdded"] = PodState.Stamp(now);
                }

                result.Add((JsonNode)taint);
                changed = true;
            }
        }

        return changed ? result : null;
    }

    /// <summary>Whether the node carries a taint with <paramref name="key"/> (any effect).</summary>
    public static bool Has(JsonObject node, string key) =>
        node.Obj("spec").Arr("taints")?.OfType<JsonObject>().Any(t => t.Str("key") == key) == true;

    private static HashSet<(string Key, string Effect)> Wanted(JsonObject node)
    {
        var wanted = new HashSet<(string, string)>();
        foreach (var (condition, status, key) in NoScheduleByCondition)
        {
            if (PodState.Condition(node, condition).Str("status") == status)
            {
                wanted.Add((key, "NoSchedule"));
            }
        }

        if (node.Obj("spec").Bool("unschedulable") == true)
        {
            wanted.Add((Unschedulable, "NoSchedule"));
        }

        switch (PodState.Condition(node, "Ready").Str("status"))
        {
            case "False":
                wanted.Add((NotReady, "NoExecute"));
                break;
            case "Unknown":
                wanted.Add((Unreachable, "NoExecute"));
                break;
        }

        return wanted;
    }
}
