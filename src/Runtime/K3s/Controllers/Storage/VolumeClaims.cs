using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// The annotations and fields the persistent-volume binder, the scheduler's volume binding and provisioners agree
/// on (upstream's names), and how each reads a claim, a volume and a class. Pure.
/// </summary>
internal static class VolumeClaims
{
    public const string BindCompleted = "pv.kubernetes.io/bind-completed";
    public const string BoundByController = "pv.kubernetes.io/bound-by-controller";
    public const string ProvisionedBy = "pv.kubernetes.io/provisioned-by";
    public const string SelectedNode = "volume.kubernetes.io/selected-node";
    public const string StorageProvisioner = "volume.kubernetes.io/storage-provisioner";
    public const string BetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner";
    public const string NoProvisioner = "kubernetes.io/no-provisioner";
    public const string WaitForFirstConsumer = "WaitForFirstConsumer";

    /// <summary>The claim's class: <c>spec.storageClassName</c>, empty for none.</summary>
    public static string ClassOf(JsonObject claimOrVolume) => claimOrVolume.Obj("spec").Str("storageClassName") ?? string.Empty;

    /// <summary>The bytes a claim asks for (<c>spec.resources.requests.storage</c>), 0 when absent.</summary>
    public static decimal Requested(JsonObject claim) =>
        Quantity.TryRead(claim.Obj("spec").Obj("resources").Obj("requests")?["storage"], out var q) ? q.Value : 0;

    /// <summary>A volume's size (<c>spec.capacity.storage</c>), 0 when absent.</summary>
    public static decimal Capacity(JsonObject volume) =>
        Quantity.TryRead(volume.Obj("spec").Obj("capacity")?["storage"], out var q) ? q.Value : 0;

    public static IReadOnlyList<string> AccessModes(JsonObject? specOrStatus) =>
        [.. specOrStatus.Arr("accessModes").Items().Select(m => JsonFields.AsString(m.Item)).OfType<string>()];

    public static string VolumeMode(JsonObject claimOrVolume) => claimOrVolume.Obj("spec").Str("volumeMode") ?? "Filesystem";

    public static string? Annotation(JsonObject obj, string key) => obj.Obj("metadata").Obj("annotations").Str(key);

    /// <summary>The volume a claim is bound to (<c>spec.volumeName</c>), empty while unbound.</summary>
    public static string VolumeName(JsonObject claim) => claim.Obj("spec").Str("volumeName") ?? string.Empty;

    /// <summary>Whether a volume's <c>claimRef</c> names the claim (and its uid, when the reference has one).</summary>
    public static bool RefersTo(JsonObject volume, JsonObject claim)
    {
        var reference = volume.Obj("spec").Obj("claimRef");
        if (reference is null || reference.Str("name") != ObjectKeys.Name(claim) || (reference.Str("namespace") ?? string.Empty) != ObjectKeys.Namespace(claim))
        {
            return false;
        }

        var uid = reference.Str("uid") ?? string.Empty;
        return uid.Length == 0 || uid == ObjectKeys.Uid(claim);
    }

    /// <summary>Whether the class binds at the first consumer (<c>volumeBindingMode: WaitForFirstConsumer</c>).</summary>
    public static bool WaitsForConsumer(JsonObject? storageClass) => storageClass.Str("volumeBindingMode") == WaitForFirstConsumer;

    /// <summary>
    /// Whether the volume's <c>spec.nodeAffinity.required</c> admits a node with these labels (a volume without one
    /// admits every node), as upstream's <c>CheckNodeAffinity</c> reads it.
    /// </summary>
    public static bool AdmitsNode(JsonObject volume, IReadOnlyDictionary<string, string> labels, string nodeName) =>
        volume.Obj("spec").Obj("nodeAffinity").Obj("required") is not { } required
        || Scheduling.NodeAffinity.MatchesAnyTerm(required, labels, nodeName);

    /// <summary>A reference to the claim as a volume's <c>claimRef</c> holds it.</summary>
    public static JsonObject ClaimRef(JsonObject claim) => new()
    {
        ["kind"] = "PersistentVolumeClaim",
        ["namespace"] = ObjectKeys.Namespace(claim),
        ["name"] = ObjectKeys.Name(claim),
        ["uid"] = ObjectKeys.Uid(claim),
        ["apiVersion"] = "v1",
        ["resourceVersion"] = claim.Obj("metadata").Str("resourceVersion"),
    };
}
