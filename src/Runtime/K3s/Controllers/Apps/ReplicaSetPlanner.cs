using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>What a ReplicaSet must do now: create <paramref name="Create"/> pods, or delete <paramref name="Delete"/>.</summary>
internal sealed record ReplicaSetDecision(int Create, IReadOnlyList<JsonObject> Delete)
{
    public static ReplicaSetDecision None { get; } = new(0, []);
}

/// <summary>
/// The ReplicaSet controller's pure core (upstream's manageReplicas arithmetic): compares the desired replicas with the
/// active pods the set controls and decides how many to create or which to delete, at most <see cref="BurstReplicas"/>
/// per sync, deleting in <see cref="PodDeletionOrder"/>; and splits creations into slow-start batches.
/// </summary>
internal static class ReplicaSetPlanner
{
    /// <summary>Upstream's burstReplicas: the most pods created or deleted in one sync.</summary>
    public const int BurstReplicas = 500;

    public static ReplicaSetDecision Plan(long desired, IReadOnlyList<JsonObject> activePods)
    {
        var diff = activePods.Count - desired;
        if (diff < 0)
        {
            return new ReplicaSetDecision((int)Math.Min(-diff, BurstReplicas), []);
        }

        if (diff == 0)
        {
            return ReplicaSetDecision.None;
        }

        var count = (int)Math.Min(diff, BurstReplicas);
        return new ReplicaSetDecision(0, [.. activePods.Order(PodDeletionOrder.Instance).Take(count)]);
    }

    /// <summary>
    /// Batch sizes for <paramref name="count"/> creations: 1, 2, 4... (the last one what remains), so a template
    /// that fails (quota, admission) fails once rather than hundreds of times. The caller stops at the first batch
    /// with a failure.
    /// </summary>
    public static IEnumerable<int> SlowStartBatches(int count, int initial = 1)
    {
        var size = Math.Max(1, initial);
        var remaining = count;
        while (remaining > 0)
        {
            var batch = Math.Min(size, remaining);
            yield return batch;
            remaining -= batch;
            size *= 2;
        }
    }
}
