using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// What the local-path provisioner writes (the objects of rancher's local-path-provisioner, which k3s packages): a
/// volume <c>pvc-&lt;claim uid&gt;</c> whose directory is <c>&lt;root&gt;/pvc-&lt;uid&gt;_&lt;namespace&gt;_&lt;claim&gt;</c> on the
/// chosen node, as a <c>hostPath</c> (<c>DirectoryOrCreate</c>, so the kubelet makes it) pinned to that node by
/// required node affinity on <c>kubernetes.io/hostname</c>; and the helper pod that removes the directory on its
/// node once the volume is released. Pure.
/// </summary>
internal static class LocalPathVolumes
{
    public const string Provisioner = "rancher.io/local-path";
    public const string SelectedNodeAnnotation = "local.path.provisioner/selected-node";
    public const string HelperImage = "rancher/mirrored-library-busybox:1.36.1";
    public const string HelperNamespace = "kube-system";
    public const string HelperVolumeLabel = "k3s.cattle.io/local-path-volume";
    private const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>The volume's name for a claim: <c>pvc-&lt;uid&gt;</c>, as external provisioners name theirs.</summary>
    public static string VolumeName(JsonObject claim) => "pvc-" + ObjectKeys.Uid(claim);

    /// <summary>Why local-path cannot provision the claim, or null when it can.</summary>
    public static string? Refusal(JsonObject claim)
    {
        if (claim.Obj("spec").Obj("selector") is not null)
        {
            return "claim.Spec.Selector is not supported";
        }

        var modes = VolumeClaims.AccessModes(claim.Obj("spec"));
        if (modes.Any(m => m is not ("ReadWriteOnce" or "ReadWriteOncePod")))
        {
            return "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes";
        }

        return VolumeClaims.VolumeMode(claim) == "Block" ? "local-path does not support block volumes" : null;
    }

    /// <summary>The volume for <paramref name="claim"/> on <paramref name="node"/> (the Node object, for its hostname label).</summary>
    public static JsonObject Volume(JsonObject claim, JsonObject storageClass, string nodeName, JsonObject? node, string root)
    {
        var name = VolumeName(claim);
        var hostname = node.Obj("metadata").Obj("labels").Str(HostnameLabel) ?? nodeName;
        var request = claim.Obj("spec").Obj("resources").Obj("requests")?["storage"]?.DeepClone() ?? JsonValue.Create("0");
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolume",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["annotations"] = new JsonObject
                {
                    [VolumeClaims.ProvisionedBy] = Provisioner,
                    [SelectedNodeAnnotation] = nodeName,
                },
            },
            ["spec"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["storage"] = request },
                ["accessModes"] = claim.Obj("spec").Arr("accessModes")?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
                ["persistentVolumeReclaimPolicy"] = storageClass.Str("reclaimPolicy") ?? "Delete",
                ["storageClassName"] = ObjectKeys.Name(storageClass),
                ["volumeMode"] = "Filesystem",
                ["hostPath"] = new JsonObject { ["path"] = Path.Combine(root, $"{name}_{ObjectKeys.Namespace(claim)}_{ObjectKeys.Name(claim)}"), ["type"] = "DirectoryOrCreate" },
                ["nodeAffinity"] = new JsonObject
                {
                    ["required"] = new JsonObject
                    {
                        ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                        {
                            ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = HostnameLabel, ["operator"] = "In", ["values"] = new JsonArray(hostname) }),
                        }),
                    },
                },
                ["claimRef"] = VolumeClaims.ClaimRef(claim),
            },
        };
    }

    /// <summary>The directory a local-path volume holds on its node, or null when it is not one this root made.</summary>
    public static string? Directory(JsonObject volume, string root)
    {
        var path = volume.Obj("spec").Obj("hostPath").Str("path");
        if (path is null || Path.GetDirectoryName(path) != root.TrimEnd('/') || !Path.GetFileName(path).StartsWith(ObjectKeys.Name(volume) + "_", StringComparison.Ordinal))
        {
            return null;
        }

        return path;
    }

    /// <summary>The node a local-path volume lives on: the provisioner's annotation, else the node affinity's only hostname.</summary>
    public static string? Node(JsonObject volume) =>
        VolumeClaims.Annotation(volume, SelectedNodeAnnotation)
        ?? volume.Obj("spec").Obj("nodeAffinity").Obj("required").Arr("nodeSelectorTerms").Items()
            .SelectMany(t => t.Item.Arr("matchExpressions").Items())
            .Where(e => e.Item.Str("key") == HostnameLabel && e.Item.Str("operator") == "In")
            .Select(e => e.Item.Arr("values").Items().Select(v => ApiServer.Validation.JsonFields.AsString(v.Item)).FirstOrDefault())
            .FirstOrDefault();

    /// <summary>The name of the helper pod that deletes a volume's directory.</summary>
    public static string HelperName(string volumeName) => "helper-pod-delete-" + volumeName;

    /// <summary>A pod on <paramref name="node"/> that removes <paramref name="directory"/> and exits.</summary>
    public static JsonObject DeleteHelper(JsonObject volume, string node, string directory) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject
        {
            ["name"] = HelperName(ObjectKeys.Name(volume)),
            ["namespace"] = HelperNamespace,
            ["labels"] = new JsonObject { [HelperVolumeLabel] = ObjectKeys.Name(volume) },
        },
        ["spec"] = new JsonObject
        {
            ["nodeName"] = node,
            ["restartPolicy"] = "Never",
            ["automountServiceAccountToken"] = false,
            ["tolerations"] = new JsonArray(new JsonObject { ["operator"] = "Exists" }),
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "helper-pod",
                ["image"] = HelperImage,
                ["imagePullPolicy"] = "IfNotPresent",
                ["command"] = new JsonArray("/bin/sh", "-c", "rm -rf -- \"$VOL_DIR\""),
                ["env"] = new JsonArray(new JsonObject { ["name"] = "VOL_DIR", ["value"] = directory }),
            }),
        },
    };
}
