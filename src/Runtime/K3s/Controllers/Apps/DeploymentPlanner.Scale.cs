using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>Scaling a Deployment's ReplicaSets to a new replica count (upstream's scale), proportionally while a rollout is under way.</summary>
internal sealed partial class DeploymentPlanner
{
    private void Scale(JsonObject? newSet, List<JsonObject> old)
    {
        if (ActiveOrLatest(newSet, old) is { } only)
        {
            ScaleAndRecord(only, Replicas);
            return;
        }

        if (newSet is not null && IsSaturated(newSet))
        {
            foreach (var set in old.Where(IsActive))
            {
                ScaleAndRecord(set, 0);
            }

            return;
        }

        if (DeploymentFacts.IsRecreate(_deployment))
        {
            return;
        }

        var active = old.Append(newSet).OfType<JsonObject>().Where(IsActive).ToList();
        var allowed = Replicas > 0 ? Replicas + DeploymentFacts.MaxSurge(_deployment) : 0;
        var toAdd = allowed - Sum(active, DeploymentFacts.SpecReplicas);
        // Adding: the biggest (then newest) sets first; removing: the biggest (then oldest) first.
        active = toAdd > 0
            ? [.. active.OrderByDescending(DeploymentFacts.SpecReplicas).ThenByDescending(DeploymentFacts.Created)]
            : [.. active.OrderByDescending(DeploymentFacts.SpecReplicas).ThenBy(DeploymentFacts.Created)];
        var sizes = new Dictionary<JsonObject, long>(ReferenceEqualityComparer.Instance);
        long added = 0;
        foreach (var set in active)
        {
            var proportion = toAdd == 0 ? 0 : Proportion(set, toAdd, added);
            sizes[set] = DeploymentFacts.SpecReplicas(set) + proportion;
            added += proportion;
        }

        if (toAdd != 0 && toAdd - added is var leftover and not 0 && active.Count > 0)
        {
            sizes[active[0]] = Math.Max(0, sizes[active[0]] + leftover);
        }

        foreach (var set in active)
        {
            ScaleSet(set, sizes[set]);
        }
    }

    /// <summary>The one active set (or, none being active, the new one or the newest old one); null when several are active.</summary>
    private static JsonObject? ActiveOrLatest(JsonObject? newSet, List<JsonObject> old)
    {
        if (newSet is null && old.Count == 0)
        {
            return null;
        }

        var newestFirst = old.OrderByDescending(DeploymentFacts.Created).ToList();
        var active = newestFirst.Append(newSet).OfType<JsonObject>().Where(IsActive).ToList();
        return active.Count switch
        {
            0 => newSet ?? newestFirst[0],
            1 => active[0],
            _ => null,
        };
    }

    /// <summary>The new set runs every replica, available, at the Deployment's current size.</summary>
    private bool IsSaturated(JsonObject set) =>
        DeploymentFacts.SpecReplicas(set) == Replicas
        && DeploymentFacts.Annotation(set, DeploymentFacts.DesiredReplicasAnnotation) == Replicas
        && DeploymentFacts.Status(set, "availableReplicas") == Replicas;

    /// <summary>How many replicas <paramref name="set"/> gains (or loses) of <paramref name="toAdd"/>: its share of the old size (max-replicas annotation) scaled to the new.</summary>
    private long Proportion(JsonObject set, long toAdd, long added)
    {
        var replicas = DeploymentFacts.SpecReplicas(set);
        if (replicas == 0 || toAdd == added)
        {
            return 0;
        }

        long fraction;
        if (Replicas == 0)
        {
            fraction = -replicas;
        }
        else
        {
            var size = Replicas + DeploymentFacts.MaxSurge(_deployment);
            var annotated = DeploymentFacts.Annotation(set, DeploymentFacts.MaxReplicasAnnotation) ?? DeploymentFacts.Status(_deployment, "replicas");
            fraction = annotated <= 0 ? 0 : (long)Math.Round((double)replicas * size / annotated, MidpointRounding.AwayFromZero) - replicas;
        }

        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    /// <summary>Scales when the size differs (upstream's scaleReplicaSetAndRecordEvent); returns whether it did.</summary>
    private bool ScaleAndRecord(JsonObject set, long replicas)
    {
        if (DeploymentFacts.SpecReplicas(set) == replicas)
        {
            return false;
        }

        ScaleSet(set, replicas);
        return true;
    }

    /// <summary>Sets the size and the replica annotations, recording a ScalingReplicaSet event when the size moves.</summary>
    private void ScaleSet(JsonObject set, long replicas)
    {
        var from = DeploymentFacts.SpecReplicas(set);
        var annotationsChanged = SetReplicasAnnotations(set);
        if (from == replicas && !annotationsChanged)
        {
            return;
        }

        set["spec"]!["replicas"] = replicas;
        string? message = null;
        if (from != replicas)
        {
            message = $"Scaled {(replicas > from ? "up" : "down")} replica set {ObjectKeys.Name(set)} from {from} to {replicas}";
        }

        Update(set, message);
    }
}
