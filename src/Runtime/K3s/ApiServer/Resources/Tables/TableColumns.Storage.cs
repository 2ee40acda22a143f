using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// The storage printers of kube-apiserver 1.33: StorageClass (the default class's name ends in <c>(default)</c>),
/// PersistentVolume and PersistentVolumeClaim (access modes abbreviated RWO/ROX/RWX/RWOP, the claim as
/// <c>namespace/name</c>, a claim's capacity and modes only once bound, <c>Terminating</c> while deleted).
/// </summary>
internal static partial class TableColumns
{
    private const string Unset = "<unset>";

    private static TableColumn[] StorageClassColumns() => [
        new("Name", "string", NameDescription, (o, _) => (Str(o, "metadata.name") ?? string.Empty) + (DefaultStorageClass.IsDefault(o) ? " (default)" : string.Empty), Format: "name"),
        new("Provisioner", "string", "Indicates the type of the provisioner.", (o, _) => Str(o, "provisioner") ?? string.Empty),
        new("ReclaimPolicy", "string", "Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.", (o, _) => Str(o, "reclaimPolicy") ?? "Delete"),
        new("VolumeBindingMode", "string", "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound. When unset, VolumeBindingImmediate is used.", (o, _) => Str(o, "volumeBindingMode") ?? "Immediate"),
        new("AllowVolumeExpansion", "string", "AllowVolumeExpansion shows whether the storage class allow volume expand.", (o, _) => Bool(o, "allowVolumeExpansion") ? "true" : "false"),
        Age];

    private static TableColumn[] PersistentVolumeColumns() => [
        Name,
        new("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity", (o, _) => Str(o, "spec.capacity.storage") ?? string.Empty),
        new("Access Modes", "string", "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes", (o, _) => AccessModes(At(o, "spec.accessModes"))),
        new("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming", (o, _) => Str(o, "spec.persistentVolumeReclaimPolicy") ?? string.Empty),
        new("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase", (o, _) => At(o, "metadata.deletionTimestamp") is not null ? "Terminating" : Str(o, "status.phase") ?? string.Empty),
        new("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding", (o, _) => At(o, "spec.claimRef") is JsonObject claim ? $"{Str(claim, "namespace")}/{Str(claim, "name")}" : string.Empty),
        new("StorageClass", "string", "storageClassName is the name of StorageClass to which this persistent volume belongs. Empty value means that this volume does not belong to any StorageClass.", (o, _) => Str(o, "spec.storageClassName") ?? string.Empty),
        new("VolumeAttributesClass", "string", "Name of the VolumeAttributesClass used by this persistent volume.", (o, _) => Str(o, "spec.volumeAttributesClassName") ?? Unset),
        new("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", (o, _) => Str(o, "status.reason") ?? string.Empty),
        Age,
        new("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.", (o, _) => Str(o, "spec.volumeMode") ?? "Filesystem", Priority: 1)];

    private static TableColumn[] PersistentVolumeClaimColumns() => [
        Name,
        new("Status", "string", "phase represents the current phase of PersistentVolumeClaim.", (o, _) => At(o, "metadata.deletionTimestamp") is not null ? "Terminating" : Str(o, "status.phase") ?? string.Empty),
        new("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim.", (o, _) => Str(o, "spec.volumeName") ?? string.Empty),
        new("Capacity", "string", "capacity represents the actual resources of the underlying volume.", (o, _) => Str(o, "spec.volumeName") is { Length: > 0 } ? Str(o, "status.capacity.storage") ?? string.Empty : string.Empty),
        new("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1", (o, _) => Str(o, "spec.volumeName") is { Length: > 0 } ? AccessModes(At(o, "status.accessModes")) : string.Empty),
        new("StorageClass", "string", "storageClassName is the name of the StorageClass required by the claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#class-1", (o, _) => Str(o, "spec.storageClassName") ?? string.Empty),
        new("VolumeAttributesClass", "string", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.", (o, _) => Str(o, "spec.volumeAttributesClassName") ?? Unset),
        Age,
        new("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.", (o, _) => Str(o, "spec.volumeMode") ?? "Filesystem", Priority: 1)];

    /// <summary>kubectl's <c>GetAccessModesAsString</c>: the modes present, in its fixed order, abbreviated and comma-joined.</summary>
    private static string AccessModes(JsonNode? modes)
    {
        var present = (modes as JsonArray ?? []).Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).ToHashSet();
        (string Mode, string Short)[] order = [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")];
        return string.Join(",", order.Where(o => present.Contains(o.Mode)).Select(o => o.Short));
    }
}
