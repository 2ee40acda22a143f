using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// A Deployment's status (upstream's calculateStatus and syncRolloutStatus): counts summed over its ReplicaSets,
/// <c>Available</c> while at least replicas - maxUnavailable pods are available, and <c>Progressing</c>: True with
/// NewReplicaSetAvailable once the rollout completed, ReplicaSetUpdated whenever a count moved forward, False with
/// ProgressDeadlineExceeded when nothing moved for progressDeadlineSeconds; a failure condition of a ReplicaSet
/// becomes the Deployment's <c>ReplicaFailure</c>.
/// </summary>
internal sealed partial class DeploymentPlanner
{
    private JsonObject CalculateStatus(JsonObject? newSet)
    {
        var all = _sets;
        var available = Sum(all, s => DeploymentFacts.Status(s, "availableReplicas"));
        var status = new JsonObject
        {
            ["observedGeneration"] = ObjectKeys.Generation(_deployment),
            ["replicas"] = Sum(all, s => DeploymentFacts.Status(s, "replicas")),
            ["updatedReplicas"] = newSet is null ? 0 : DeploymentFacts.Status(newSet, "replicas"),
            ["readyReplicas"] = Sum(all, s => DeploymentFacts.Status(s, "readyReplicas")),
            ["availableReplicas"] = available,
            ["unavailableReplicas"] = Math.Max(0, Sum(all, DeploymentFacts.SpecReplicas) - available),
        };
        if (_status["collisionCount"] is { } collisions)
        {
            status["collisionCount"] = collisions.DeepClone();
        }

        status["conditions"] = _status["conditions"]?.DeepClone() ?? new JsonArray();
        if (available >= Replicas - DeploymentFacts.MaxUnavailable(_deployment))
        {
            SetCondition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
        }
        else
        {
            SetCondition(status, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
        }

        return status;
    }

    private JsonObject RolloutStatus(JsonObject? newSet)
    {
        var status = CalculateStatus(newSet);
        var deadline = DeploymentFacts.ProgressDeadlineSeconds(_deployment);
        if (deadline is null)
        {
            RemoveCondition(status, "Progressing");
        }

        var current = StatusCondition(_status, "Progressing");
        var what = newSet is null ? $"Deployment \"{Name}\"" : $"ReplicaSet \"{ObjectKeys.Name(newSet)}\"";
        var alreadyComplete = status.Long("replicas") == status.Long("updatedReplicas") && current.Str("reason") == "NewReplicaSetAvailable";
        if (deadline is { } seconds && !alreadyComplete)
        {
            if (IsComplete(status))
            {
                SetCondition(status, "Progressing", "True", "NewReplicaSetAvailable", $"{what} has successfully progressed.");
            }
            else if (MadeProgress(status))
            {
                var transition = current.Str("status") == "True" ? current.Str("lastTransitionTime") : null;
                RemoveCondition(status, "Progressing");
                SetCondition(status, "Progressing", "True", "ReplicaSetUpdated", $"{what} is progressing.");
                if (transition is not null)
                {
                    StatusCondition(status, "Progressing")!["lastTransitionTime"] = transition;
                }
            }
            else if (TimedOut(status, seconds))
            {
                SetCondition(status, "Progressing", "False", "ProgressDeadlineExceeded", $"{what} has timed out progressing.");
            }
        }

        var failure = newSet is null ? null : PodState.Condition(newSet, "ReplicaFailure");
        failure ??= _sets.Select(s => PodState.Condition(s, "ReplicaFailure")).FirstOrDefault(c => c is not null);
        if (failure is not null)
        {
            SetCondition(status, "ReplicaFailure", failure.Str("status") ?? "True", failure.Str("reason") ?? string.Empty, failure.Str("message") ?? string.Empty);
        }
        else
        {
            RemoveCondition(status, "ReplicaFailure");
        }

        RequeueIfStuck(status, deadline);
        return status;
    }

    /// <summary>Every replica updated, running and available, and the status is of the current generation.</summary>
    private bool IsComplete(JsonObject status) =>
        status.Long("updatedReplicas") == Replicas && status.Long("replicas") == Replicas && status.Long("availableReplicas") == Replicas
        && (status.Long("observedGeneration") ?? 0) >= ObjectKeys.Generation(_deployment);

    /// <summary>More updated, ready or available pods than the last status, or fewer old ones.</summary>
    private bool MadeProgress(JsonObject status)
    {
        static long Old(JsonObject? s) => (s.Long("replicas") ?? 0) - (s.Long("updatedReplicas") ?? 0);
        return (status.Long("updatedReplicas") ?? 0) > (_status.Long("updatedReplicas") ?? 0)
            || Old(status) < Old(_status)
            || (status.Long("readyReplicas") ?? 0) > (_status.Long("readyReplicas") ?? 0)
            || (status.Long("availableReplicas") ?? 0) > (_status.Long("availableReplicas") ?? 0);
    }

    private bool TimedOut(JsonObject status, long seconds)
    {
        var condition = StatusCondition(status, "Progressing");
        return condition.Str("reason") switch
        {
            null or "NewReplicaSetAvailable" => false,
            "ProgressDeadlineExceeded" => true,
            _ => PodState.Time(condition.Str("lastUpdateTime")) is { } since && since.AddSeconds(seconds) < _now,
        };
    }

    /// <summary>Without a sign of progress, sync again when the deadline passes so the timeout is noticed.</summary>
    private void RequeueIfStuck(JsonObject status, long? deadline)
    {
        var condition = StatusCondition(status, "Progressing");
        if (deadline is not { } seconds || condition is null || IsComplete(status) || condition.Str("reason") is "ProgressDeadlineExceeded" or "NewReplicaSetAvailable")
        {
            return;
        }

        var since = PodState.Time(condition.Str("lastUpdateTime")) ?? _now;
        var after = since.AddSeconds(seconds) - _now;
        _requeueAfter = after < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : after + TimeSpan.FromSeconds(1);
    }

    /// <summary>Sets a condition; one of the same status and reason is left as it is, one of the same status keeps its transition time.</summary>
    private void SetCondition(JsonObject status, string type, string conditionStatus, string reason, string message)
    {
        var current = StatusCondition(status, type);
        if (current is not null && current.Str("status") == conditionStatus && current.Str("reason") == reason)
        {
            return;
        }

        var stamp = PodState.Stamp(_now);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = conditionStatus,
            ["lastUpdateTime"] = stamp,
            ["lastTransitionTime"] = current is not null && current.Str("status") == conditionStatus ? current.Str("lastTransitionTime") : stamp,
            ["reason"] = reason,
            ["message"] = message,
        };
        RemoveCondition(status, type);
        if (status["conditions"] is not JsonArray conditions)
        {
            status["conditions"] = conditions = [];
        }

        conditions.Add((JsonNode)condition);
    }

    /// <summary>A condition of a status object (not of the object holding it, as <see cref="PodState.Condition"/> reads).</summary>
    private static JsonObject? StatusCondition(JsonObject status, string type) =>
        status.Arr("conditions").Items().Select(i => i.Item as JsonObject).FirstOrDefault(c => c.Str("type") == type);

    private static void RemoveCondition(JsonObject status, string type)
    {
        if (status["conditions"] is JsonArray conditions)
        {
            foreach (var item in conditions.Where(c => c.Str("type") == type).ToList())
            {
                conditions.Remove(item);
            }
        }
    }
}
