using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>The disrupted-pods bookkeeping, the healthy count and the status itself (upstream's updatePdbStatus and failSafe).</summary>
internal static partial class DisruptionPlanner
{
    /// <summary>
    /// The entries of <c>status.disruptedPods</c> that still stand: the pod exists, is not yet being deleted (then the
    /// entry has done its job), and was evicted less than <see cref="DeletionTimeout"/> ago. An expired entry is
    /// dropped with a NotDeleted warning on the pod; the earliest expiry of those kept is when to look again.
    /// </summary>
    private static (JsonObject Disrupted, DateTimeOffset? Recheck) StandingDisruptions(JsonObject budget, List<JsonObject> pods, DateTimeOffset now, List<DisruptionEvent> events)
    {
        var recorded = budget.Obj("status").Obj("disruptedPods");
        var kept = new JsonObject();
        DateTimeOffset? recheck = null;
        if (recorded is null)
        {
            return (kept, recheck);
        }

        foreach (var pod in pods.Where(p => !ObjectKeys.IsDeleting(p)))
        {
            var name = ObjectKeys.Name(pod);
            if (JsonFields.AsString(recorded[name]) is not { } stamp)
            {
                continue;
            }

            var expiry = (PodState.Time(stamp) ?? DateTimeOffset.MinValue) + DeletionTimeout;
            if (expiry < now)
            {
                events.Add(new(pod, "Warning", "NotDeleted", $"Pod was expected by PDB {ObjectKeys.Namespace(budget)}/{ObjectKeys.Name(budget)} to be deleted but it wasn't"));
                continue;
            }

            recheck = recheck is { } earliest && earliest <= expiry ? earliest : expiry;
            kept[name] = stamp;
        }

        return (kept, recheck);
    }

    /// <summary>Ready pods that are not being deleted and whose eviction is not pending (upstream's countHealthyPods).</summary>
    private static int HealthyCount(List<JsonObject> pods, JsonObject disrupted, DateTimeOffset now) =>
        pods.Count(pod =>
            !ObjectKeys.IsDeleting(pod)
            && !(JsonFields.AsString(disrupted[ObjectKeys.Name(pod)]) is { } stamp && PodState.Time(stamp) is { } at && at + DeletionTimeout > now)
            && PodState.IsReady(pod));

    /// <summary>
    /// The computed status. No disruption is allowed while nothing is expected, so a budget whose first pods appear
    /// before the controller has counted them is safe. Unchanged when every figure, the disrupted pods, the observed
    /// generation and the condition already agree (then nothing is written).
    /// </summary>
    private static DisruptionPlan Computed(JsonObject budget, int healthy, int desired, int expected, JsonObject disrupted, DateTimeOffset now, TimeSpan? recheck, List<DisruptionEvent> events)
    {
        var allowed = expected <= 0 ? 0 : Math.Max(0, healthy - desired);
        var generation = ObjectKeys.Generation(budget);
        var old = budget.Obj("status") ?? [];
        var oldDisrupted = old.Obj("disruptedPods") ?? [];
        var unchanged = old.Long("currentHealthy") == healthy
            && old.Long("desiredHealthy") == desired
            && old.Long("expectedPods") == expected
            && old.Long("disruptionsAllowed") == allowed
            && JsonNode.DeepEquals(oldDisrupted, disrupted)
            && BudgetConditions.UpToDate(old, generation);
        if (unchanged)
        {
            return new DisruptionPlan(old, false, events, recheck, null);
        }

        var status = new JsonObject();
        if (generation != 0)
        {
            status["observedGeneration"] = generation;
        }

        if (disrupted.Count > 0)
        {
            status["disruptedPods"] = disrupted;
        }

        status["disruptionsAllowed"] = allowed;
        status["currentHealthy"] = healthy;
        status["desiredHealthy"] = desired;
        status["expectedPods"] = expected;
        status["conditions"] = old["conditions"]?.DeepClone() ?? new JsonArray();
        BudgetConditions.SetFromAllowed(status, now);
        return new DisruptionPlan(status, true, events, recheck, null);
    }

    /// <summary>
    /// Upstream's failSafe: the status as it was, but no disruption allowed and the condition False with reason
    /// <c>SyncFailed</c> and the error, so the eviction subresource refuses while the count is unknown. Written only
    /// when that differs from the stored status (a repeat of the same failure changes nothing).
    /// </summary>
    private static DisruptionPlan FailSafe(JsonObject budget, string error, List<DisruptionEvent> events, DateTimeOffset now)
    {
        var old = budget.Obj("status") ?? [];
        var status = old.DeepClone().AsObject();
        status["disruptionsAllowed"] = 0;
        foreach (var field in new[] { "currentHealthy", "desiredHealthy", "expectedPods" })
        {
            status[field] ??= 0;
        }

        BudgetConditions.Set(status, "False", BudgetConditions.SyncFailed, error, status.Long("observedGeneration") ?? 0, now);
        return new DisruptionPlan(status, !JsonNode.DeepEquals(old, status), events, null, error);
    }
}
