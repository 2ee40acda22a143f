using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// The Recreate strategy (upstream's rolloutRecreate): scale every old ReplicaSet to zero, wait until none of their
/// pods runs (terminating pods count as running), then create or scale the new ReplicaSet to the full size.
/// </summary>
internal sealed partial class DeploymentPlanner
{
    private JsonObject RolloutRecreate()
    {
        var (newSet, old) = FindNewAndOld(create: false);
        var scaledDown = false;
        foreach (var set in old.Where(IsActive))
        {
            scaledDown |= ScaleAndRecord(set, 0);
        }

        if (scaledDown || OldPodsRunning(newSet, old))
        {
            return RolloutStatus(newSet);
        }

        newSet ??= FindNewAndOld(create: true).New!;
        ScaleAndRecord(newSet, Replicas);
        if (IsComplete(_status))
        {
            CleanupHistory(old);
        }

        return RolloutStatus(newSet);
    }

    private bool OldPodsRunning(JsonObject? newSet, List<JsonObject> old)
    {
        if (Sum(old, s => DeploymentFacts.Status(s, "replicas")) > 0)
        {
            return true;
        }

        var oldUids = old.Select(ObjectKeys.Uid).Where(u => u.Length > 0).ToHashSet(StringComparer.Ordinal);
        var newUid = newSet is null ? string.Empty : ObjectKeys.Uid(newSet);
        return _pods.Any(p => ControllerRef.Of(p) is { } owner && owner.Uid != newUid && oldUids.Contains(owner.Uid)
            && p.Obj("status").Str("phase") is not ("Succeeded" or "Failed"));
    }
}
