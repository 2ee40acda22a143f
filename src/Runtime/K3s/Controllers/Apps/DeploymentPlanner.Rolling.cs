using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// The RollingUpdate strategy (upstream's rolloutRolling): scale the new ReplicaSet up while the total stays within
/// replicas + maxSurge; otherwise scale old ones down while the available pods stay at least replicas - maxUnavailable,
/// unhealthy old pods first; once complete, trim old revisions.
/// </summary>
internal sealed partial class DeploymentPlanner
{
    private JsonObject RolloutRolling()
    {
        var (newSet, old) = FindNewAndOld(create: true);
        var all = old.Append(newSet!).ToList();
        if (!ReconcileNewSet(all, newSet!))
        {
            if (!ReconcileOldSets(all, old.Where(IsActive).ToList(), newSet!) && IsComplete(_status))
            {
                CleanupHistory(old);
            }
        }

        return RolloutStatus(newSet);
    }

    /// <summary>Scales the new set toward the Deployment's size within the surge; returns whether it changed.</summary>
    private bool ReconcileNewSet(List<JsonObject> all, JsonObject newSet)
    {
        var current = DeploymentFacts.SpecReplicas(newSet);
        if (current == Replicas)
        {
            return false;
        }

        return ScaleAndRecord(newSet, current > Replicas ? Replicas : NewSetReplicas(all, newSet));
    }

    /// <summary>The new set's size for this step: Recreate jumps to the Deployment's size; rolling adds what the surge leaves room for.</summary>
    private long NewSetReplicas(List<JsonObject> all, JsonObject newSet)
    {
        var current = DeploymentFacts.SpecReplicas(newSet);
        if (DeploymentFacts.IsRecreate(_deployment))
        {
            return Replicas;
        }

        var maxTotal = Replicas + DeploymentFacts.MaxSurge(_deployment);
        var total = Sum(all, DeploymentFacts.SpecReplicas);
        if (total >= maxTotal)
        {
            return current;
        }

        return current + Math.Min(maxTotal - total, Replicas - current);
    }

    /// <summary>Scales old sets down as far as availability allows; returns whether any changed.</summary>
    private bool ReconcileOldSets(List<JsonObject> all, List<JsonObject> activeOld, JsonObject newSet)
    {
        if (Sum(activeOld, DeploymentFacts.SpecReplicas) == 0)
        {
            return false;
        }

        var minAvailable = Replicas - DeploymentFacts.MaxUnavailable(_deployment);
        var newUnavailable = DeploymentFacts.SpecReplicas(newSet) - DeploymentFacts.Status(newSet, "availableReplicas");
        var maxScaledDown = Sum(all, DeploymentFacts.SpecReplicas) - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return false;
        }

        var oldestFirst = activeOld.OrderBy(DeploymentFacts.Created).ThenBy(ObjectKeys.Name, StringComparer.Ordinal).ToList();
        var cleaned = CleanupUnhealthy(oldestFirst, maxScaledDown);
        var scaled = ScaleDownOld(all, oldestFirst, minAvailable);
        return cleaned + scaled > 0;
    }

    /// <summary>Removes old replicas that are not available anyway (they cost no availability), up to <paramref name="max"/>.</summary>
    private long CleanupUnhealthy(List<JsonObject> oldestFirst, long max)
    {
        long total = 0;
        foreach (var set in oldestFirst)
        {
            if (total >= max)
            {
                break;
            }

            var replicas = DeploymentFacts.SpecReplicas(set);
            var unhealthy = replicas - DeploymentFacts.Status(set, "availableReplicas");
            if (replicas == 0 || unhealthy <= 0)
            {
                continue;
            }

            var count = Math.Min(max - total, unhealthy);
            ScaleAndRecord(set, replicas - count);
            total += count;
        }

        return total;
    }

    /// <summary>Scales old sets down, oldest first, by as many pods as are available beyond the minimum.</summary>
    private long ScaleDownOld(List<JsonObject> all, List<JsonObject> oldestFirst, long minAvailable)
    {
        var available = Sum(all, s => DeploymentFacts.Status(s, "availableReplicas"));
        if (available <= minAvailable)
        {
            return 0;
        }

        var budget = available - minAvailable;
        long total = 0;
        foreach (var set in oldestFirst)
        {
            if (total >= budget)
            {
                break;
            }

            var replicas = DeploymentFacts.SpecReplicas(set);
            if (replicas == 0)
            {
                continue;
            }

            var count = Math.Min(replicas, budget - total);
            ScaleAndRecord(set, replicas - count);
            total += count;
        }

        return total;
    }

    /// <summary>
    /// Deletes the oldest revisions beyond revisionHistoryLimit, only those scaled to zero with no pods left and a
    /// status that has caught up (a set still being scaled down is kept).
    /// </summary>
    private void CleanupHistory(List<JsonObject> old)
    {
        if (_deployment.Obj("spec").Long("revisionHistoryLimit") is not { } limit)
        {
            return;
        }

        var alive = old.Where(s => !ObjectKeys.IsDeleting(s)).OrderBy(DeploymentFacts.Revision).ThenBy(DeploymentFacts.Created).ToList();
        var excess = alive.Count - limit;
        for (var i = 0; i < excess; i++)
        {
            var set = alive[i];
            if (DeploymentFacts.Status(set, "replicas") != 0 || DeploymentFacts.SpecReplicas(set) != 0
                || ObjectKeys.Generation(set) > DeploymentFacts.Status(set, "observedGeneration"))
            {
                continue;
            }

            _deletes.Add(set);
        }
    }
}
