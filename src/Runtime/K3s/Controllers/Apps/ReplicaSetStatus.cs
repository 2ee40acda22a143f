using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// A ReplicaSet's status from the active pods it controls (upstream's calculateStatus): replicas,
/// fullyLabeledReplicas (pods carrying every template label), readyReplicas, availableReplicas (ready for
/// minReadySeconds at <c>now</c>), observedGeneration, and the <c>ReplicaFailure</c> condition while creating or
/// deleting pods fails.
/// </summary>
internal static class ReplicaSetStatus
{
    /// <summary>The new status; <paramref name="failure"/> is the (reason, message) of the last failed pod write, or null.</summary>
    public static JsonObject Compute(JsonObject replicaSet, IReadOnlyList<JsonObject> activePods, (string Reason, string Message)? failure, DateTimeOffset now)
    {
        var minReady = (int)(replicaSet.Obj("spec").Long("minReadySeconds") ?? 0);
        var templateLabels = replicaSet.Obj("spec").Obj("template").Obj("metadata").Obj("labels").Entries().ToList();
        var fullyLabeled = activePods.Count(p => templateLabels.All(l => p.Obj("metadata").Obj("labels").Str(l.Key) == l.Value));
        var status = new JsonObject
        {
            ["replicas"] = activePods.Count,
            ["fullyLabeledReplicas"] = fullyLabeled,
            ["readyReplicas"] = activePods.Count(PodState.IsReady),
            ["availableReplicas"] = activePods.Count(p => PodState.IsAvailable(p, minReady, now)),
            ["observedGeneration"] = ObjectKeys.Generation(replicaSet),
        };

        var conditions = new JsonArray();
        var existing = PodState.Condition(replicaSet, "ReplicaFailure");
        foreach (var (_, condition) in replicaSet.Obj("status").Arr("conditions").Items())
        {
            if (condition.Str("type") != "ReplicaFailure")
            {
                conditions.Add(condition?.DeepClone());
            }
        }

        if (failure is { } f)
        {
            conditions.Add((JsonNode)(existing?.DeepClone() as JsonObject ?? new JsonObject
            {
                ["type"] = "ReplicaFailure",
                ["status"] = "True",
                ["lastTransitionTime"] = PodState.Stamp(now),
                ["reason"] = f.Reason,
                ["message"] = f.Message,
            }));
        }

        if (conditions.Count > 0)
        {
            status["conditions"] = conditions;
        }

        return status;
    }

    /// <summary>
    /// How long until one of the ready pods becomes available (ready for minReadySeconds), so the set is synced again
    /// then and its availableReplicas moves; null when no pod is waiting.
    /// </summary>
    public static TimeSpan? NextAvailabilityCheck(IReadOnlyList<JsonObject> activePods, int minReadySeconds, DateTimeOffset now)
    {
        if (minReadySeconds <= 0)
        {
            return null;
        }

        TimeSpan? next = null;
        foreach (var pod in activePods.Where(p => PodState.IsReady(p) && !PodState.IsAvailable(p, minReadySeconds, now)))
        {
            var since = PodState.Time(PodState.Condition(pod, "Ready").Str("lastTransitionTime")) ?? now;
            var wait = since.AddSeconds(minReadySeconds) - now + TimeSpan.FromSeconds(1);
            next = next is null || wait < next ? wait : next;
        }

        return next;
    }

    /// <summary>Whether two statuses say the same (so an unchanged status is not written); numbers compare by value, however they were built.</summary>
    public static bool Same(JsonObject? current, JsonObject next) => JsonNode.DeepEquals(current, JsonNode.Parse(next.ToJsonString()));
}
