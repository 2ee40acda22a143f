using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// Which existing volume an unbound claim binds to, as upstream's <c>findMatchingVolume</c> chooses: a volume
/// already reserved for the claim (its <c>claimRef</c> names it) wins; otherwise the smallest free volume of the
/// claim's class and volume mode whose access modes include all the claim's, whose capacity covers the request,
/// whose labels match the claim's selector and, when the claim waits for its first consumer, whose node affinity
/// admits the chosen node. Free means no <c>claimRef</c>, not being deleted, and Available (or not yet marked).
/// Pure.
/// </summary>
internal static class ClaimMatching
{
    /// <summary>The volume to bind, or null. <paramref name="admitsNode"/> judges a volume's node affinity (null: any node).</summary>
    public static JsonObject? Find(JsonObject claim, IEnumerable<JsonObject> volumes, Func<JsonObject, bool>? admitsNode)
    {
        var className = VolumeClaims.ClassOf(claim);
        var requested = VolumeClaims.Requested(claim);
        var modes = VolumeClaims.AccessModes(claim.Obj("spec"));
        var mode = VolumeClaims.VolumeMode(claim);
        var selector = claim.Obj("spec").Obj("selector") is { } s ? PodTemplates.Selector(s) : null;
        JsonObject? best = null;
        foreach (var volume in volumes)
        {
            if (ObjectKeys.IsDeleting(volume) || VolumeClaims.ClassOf(volume) != className || VolumeClaims.VolumeMode(volume) != mode)
            {
                continue;
            }

            var reserved = VolumeClaims.RefersTo(volume, claim);
            if (!reserved && (volume.Obj("spec").Obj("claimRef") is not null || volume.Obj("status").Str("phase") is not (null or "" or "Pending" or "Available")))
            {
                continue;
            }

            if (!modes.All(VolumeClaims.AccessModes(volume.Obj("spec")).Contains) || VolumeClaims.Capacity(volume) < requested)
            {
                continue;
            }

            if (admitsNode is not null && !admitsNode(volume))
            {
                continue;
            }

            if (reserved)
            {
                return volume;
            }

            if (selector is not null && !selector(volume))
            {
                continue;
            }

            if (best is null || VolumeClaims.Capacity(volume) < VolumeClaims.Capacity(best))
            {
                best = volume;
            }
        }

        return best;
    }
}
