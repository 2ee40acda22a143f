using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Admission;

/// <summary>
/// kube-apiserver's StorageObjectInUseProtection admission plugin: every new PersistentVolumeClaim gets the
/// <c>kubernetes.io/pvc-protection</c> finalizer and every new PersistentVolume <c>kubernetes.io/pv-protection</c>, so
/// deleting a claim a pod still mounts, or a volume still bound, waits until the protection controllers see it
/// unused instead of losing the data under the pod. Pure.
/// </summary>
internal static class StorageProtection
{
    public const string ClaimFinalizer = "kubernetes.io/pvc-protection";
    public const string VolumeFinalizer = "kubernetes.io/pv-protection";

    /// <summary>Adds the kind's finalizer to a new claim or volume (once).</summary>
    public static void Admit(string resource, JsonObject obj)
    {
        var finalizer = resource switch
        {
            "persistentvolumeclaims" => ClaimFinalizer,
            "persistentvolumes" => VolumeFinalizer,
            _ => null,
        };
        if (finalizer is null || obj["metadata"] is not JsonObject metadata)
        {
            return;
        }

        if (metadata["finalizers"] is not JsonArray finalizers)
        {
            metadata["finalizers"] = finalizers = [];
        }

        if (!finalizers.Any(f => f is JsonValue v && v.TryGetValue<string>(out var s) && s == finalizer))
        {
            finalizers.Add((JsonNode)finalizer);
        }
    }
}
