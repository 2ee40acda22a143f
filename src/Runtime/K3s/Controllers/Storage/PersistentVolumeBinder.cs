using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// kube-controller-manager's persistentvolume-binder: binds claims to volumes and keeps both phases true.
/// <list type="bullet">
/// <item>An unbound claim binds to the volume <see cref="ClaimMatching"/> finds: the volume's <c>claimRef</c> is
/// written first, then the claim's <c>spec.volumeName</c> with <c>pv.kubernetes.io/bind-completed</c>, then both
/// statuses (Bound; the claim's capacity and access modes from the volume), so a crash between steps is finished by
/// the next sync, as upstream orders it.</item>
/// <item>A claim whose class binds at the first consumer waits, until the scheduler names a node
/// (<c>volume.kubernetes.io/selected-node</c>), with a <c>WaitForFirstConsumer</c> event.</item>
/// <item>With no volume to bind and a class whose provisioner is not <c>kubernetes.io/no-provisioner</c>, the claim
/// is handed to that provisioner (<c>volume.kubernetes.io/storage-provisioner</c>, and the beta key) with an
/// <c>ExternalProvisioning</c> event; with no class, a <c>FailedBinding</c> event.</item>
/// <item>A volume without a claim is Available; a volume whose claim is gone (or was replaced) is Released, and
/// then Retain keeps it, while Delete is left to the provisioner that made it (a volume nobody provisioned cannot
/// be deleted by this build and goes Failed). A bound claim whose volume is gone is Lost.</item>
/// </list>
/// Not done: Recycle, retroactive default class assignment, volume expansion.
/// </summary>
internal sealed partial class PersistentVolumeBinder : IController
{
    private const string Component = "persistentvolume-controller";
    private const string ClaimPrefix = "claim:";
    private const string VolumePrefix = "volume:";

    public string Name => "persistentvolume-binder";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var claims = await context.Caches.GetAsync(ApiPaths.PersistentVolumeClaims, ct);
        var volumes = await context.Caches.GetAsync(ApiPaths.PersistentVolumes, ct);
        var classes = await context.Caches.GetAsync(ApiPaths.StorageClasses, ct);
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        var state = new Caches(claims, volumes, classes, nodes);
        using var onClaim = claims.Subscribe((before, after) =>
        {
            var claim = (after ?? before)!;
            queue.Add(ClaimPrefix + ObjectKeys.Of(claim));
            if (VolumeClaims.VolumeName(claim) is { Length: > 0 } volume)
            {
                queue.Add(VolumePrefix + volume);
            }
        });
        using var onVolume = volumes.Subscribe((before, after) =>
        {
            var volume = (after ?? before)!;
            queue.Add(VolumePrefix + ObjectKeys.Name(volume));
            if (volume.Obj("spec").Obj("claimRef") is { } reference)
            {
                queue.Add(ClaimPrefix + ObjectKeys.Key(reference.Str("namespace") ?? string.Empty, reference.Str("name") ?? string.Empty));
            }

            // A new or freed volume may suit any waiting claim.
            foreach (var claim in claims.Items.Values.Where(c => VolumeClaims.VolumeName(c).Length == 0))
            {
                queue.Add(ClaimPrefix + ObjectKeys.Of(claim));
            }
        });
        using var onClass = classes.Subscribe((_, _) =>
        {
            foreach (var claim in claims.Items.Values.Where(c => VolumeClaims.VolumeName(c).Length == 0))
            {
                queue.Add(ClaimPrefix + ObjectKeys.Of(claim));
            }
        });
        var logger = context.Loggers.CreateLogger("k3s.controllers.persistentvolume");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => key.StartsWith(ClaimPrefix, StringComparison.Ordinal)
            ? SyncClaimAsync(context, state, logger, key[ClaimPrefix.Length..], token)
            : SyncVolumeAsync(context, state, key[VolumePrefix.Length..], token), 2, logger, ct);
    }

    private static async Task SyncClaimAsync(ControllerContext context, Caches state, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!state.Claims.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var claim) || ObjectKeys.IsDeleting(claim))
        {
            return;
        }

        var volumeName = VolumeClaims.VolumeName(claim);
        if (volumeName.Length > 0)
        {
            await SyncBoundClaimAsync(context, state, claim, volumeName, ct);
            return;
        }

        var className = VolumeClaims.ClassOf(claim);
        var storageClass = className.Length == 0 ? null : state.Classes.Items.GetValueOrDefault(ObjectKeys.CacheKey(string.Empty, className));
        var selectedNode = VolumeClaims.Annotation(claim, VolumeClaims.SelectedNode);
        if (VolumeClaims.WaitsForConsumer(storageClass) && selectedNode is null)
        {
            Event(context, claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
            return;
        }

        Func<JsonObject, bool>? admits = null;
        if (selectedNode is not null)
        {
            var node = state.Nodes.Items.GetValueOrDefault(ObjectKeys.CacheKey(string.Empty, selectedNode));
            var labels = node.Obj("metadata").Obj("labels").Entries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            admits = v => VolumeClaims.AdmitsNode(v, labels, selectedNode);
        }

        if (ClaimMatching.Find(claim, state.Volumes.Items.Values, admits) is { } volume)
        {
            await BindAsync(context, claim, volume, ct);
            Log.Bound(logger, key, ObjectKeys.Name(volume));
            return;
        }

        if (storageClass is null)
        {
            Event(context, claim, "Warning", "FailedBinding", className.Length == 0
                ? "no persistent volumes available for this claim and no storage class is set"
                : $"storageclass.storage.k8s.io \"{className}\" not found");
            return;
        }

        var provisioner = storageClass.Str("provisioner") ?? string.Empty;
        if (provisioner == VolumeClaims.NoProvisioner)
        {
            Event(context, claim, "Normal", "WaitForPodScheduled", "waiting for pod to be scheduled");
            return;
        }

        if (VolumeClaims.Annotation(claim, VolumeClaims.StorageProvisioner) != provisioner)
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [VolumeClaims.StorageProvisioner] = provisioner, [VolumeClaims.BetaStorageProvisioner] = provisioner },
                },
            };
            await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.PersistentVolumeClaims, ns, name), patch, ct);
            Event(context, claim, "Normal", "ExternalProvisioning", $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
        }
    }

    /// <summary>Finishes or checks a binding the claim already names.</summary>
    private static async Task SyncBoundClaimAsync(ControllerContext context, Caches state, JsonObject claim, string volumeName, CancellationToken ct)
    {
        if (!state.Volumes.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, volumeName), out var volume))
        {
            if (claim.Obj("status").Str("phase") == "Bound")
            {
                await ClaimStatusAsync(context, claim, "Lost", null, ct);
                Event(context, claim, "Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
            }

            return;
        }

        if (volume.Obj("spec").Obj("claimRef") is null)
        {
            // Bound by the user through spec.volumeName: reserve the volume for the claim.
            await BindAsync(context, claim, volume, ct);
            return;
        }

        if (!VolumeClaims.RefersTo(volume, claim))
        {
            if (claim.Obj("status").Str("phase") == "Bound")
            {
                await ClaimStatusAsync(context, claim, "Lost", null, ct);
                Event(context, claim, "Warning", "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly");
            }

            return;
        }

        await BindAsync(context, claim, volume, ct);
    }

    /// <summary>Writes whatever of the binding is missing: the volume's claimRef, the claim's volumeName, then both statuses.</summary>
    private static async Task BindAsync(ControllerContext context, JsonObject claim, JsonObject volume, CancellationToken ct)
    {
        var volumeName = ObjectKeys.Name(volume);
        var reference = volume.Obj("spec").Obj("claimRef");
        if (reference is null || (reference.Str("uid") ?? string.Empty).Length == 0)
        {
            var updated = volume.DeepClone().AsObject();
            updated.Obj("spec")!["claimRef"] = VolumeClaims.ClaimRef(claim);
            if (reference is null)
            {
                Annotations(updated)[VolumeClaims.BoundByController] = "yes";
            }

            volume = await context.Api.PutAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty, volumeName), updated, ct);
        }

        if (volume.Obj("status").Str("phase") != "Bound")
        {
            var status = volume.DeepClone().AsObject();
            status["status"] = new JsonObject { ["phase"] = "Bound", ["lastPhaseTransitionTime"] = PodState.Stamp(context.Time.GetUtcNow()) };
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty, volumeName, "status"), status, ct);
        }

        var ns = ObjectKeys.Namespace(claim);
        var name = ObjectKeys.Name(claim);
        if (VolumeClaims.VolumeName(claim) != volumeName || VolumeClaims.Annotation(claim, VolumeClaims.BindCompleted) != "yes")
        {
            var updated = claim.DeepClone().AsObject();
            var byController = VolumeClaims.VolumeName(claim).Length == 0;
            updated.Obj("spec")!["volumeName"] = volumeName;
            var annotations = Annotations(updated);
            annotations[VolumeClaims.BindCompleted] = "yes";
            if (byController)
            {
                annotations[VolumeClaims.BoundByController] = "yes";
            }

            claim = await context.Api.PutAsync(ApiPaths.For(ApiPaths.PersistentVolumeClaims, ns, name), updated, ct);
        }

        if (claim.Obj("status").Str("phase") != "Bound")
        {
            await ClaimStatusAsync(context, claim, "Bound", volume, ct);
        }
    }

    private static async Task ClaimStatusAsync(ControllerContext context, JsonObject claim, string phase, JsonObject? volume, CancellationToken ct)
    {
        var updated = claim.DeepClone().AsObject();
        var status = new JsonObject { ["phase"] = phase };
        if (volume is not null)
        {
            status["accessModes"] = volume.Obj("spec").Arr("accessModes")?.DeepClone() ?? new JsonArray();
            status["capacity"] = volume.Obj("spec").Obj("capacity")?.DeepClone() ?? new JsonObject();
        }
        else if (claim.Obj("status") is { } kept)
        {
            status["accessModes"] = kept["accessModes"]?.DeepClone();
            status["capacity"] = kept["capacity"]?.DeepClone();
        }

        updated["status"] = status;
        await context.Api.PutAsync(ApiPaths.For(ApiPaths.PersistentVolumeClaims, ObjectKeys.Namespace(claim), ObjectKeys.Name(claim), "status"), updated, ct);
    }

    private static async Task SyncVolumeAsync(ControllerContext context, Caches state, string name, CancellationToken ct)
    {
        if (!state.Volumes.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, name), out var volume) || ObjectKeys.IsDeleting(volume))
        {
            return;
        }

        var phase = volume.Obj("status").Str("phase");
        var reference = volume.Obj("spec").Obj("claimRef");
        string wanted;
        string? message = null;
        if (reference is null)
        {
            wanted = "Available";
        }
        else
        {
            var claim = state.Claims.Items.GetValueOrDefault(ObjectKeys.CacheKey(reference.Str("namespace") ?? string.Empty, reference.Str("name") ?? string.Empty));
            var uid = reference.Str("uid") ?? string.Empty;
            if (claim is not null && (uid.Length == 0 || uid == ObjectKeys.Uid(claim)))
            {
                // Reserved or bound: the claim's sync finishes the binding and marks the volume Bound.
                return;
            }

            if (uid.Length == 0)
            {
                // Reserved for a claim not created yet.
                wanted = "Available";
            }
            else if (phase == "Failed")
            {
                return;
            }
            else
            {
                var policy = volume.Obj("spec").Str("persistentVolumeReclaimPolicy") ?? "Retain";
                var provisioner = VolumeClaims.Annotation(volume, VolumeClaims.ProvisionedBy);
                (wanted, message) = policy switch
                {
                    "Retain" => ("Released", null),
                    "Delete" when provisioner is not null => ("Released", null),
                    "Delete" => ("Failed", $"error getting deleter volume plugin for volume \"{name}\": no deletable volume plugin matched"),
                    _ => ("Failed", $"no volume plugin matched name: kubernetes.io/{policy.ToLowerInvariant()}"),
                };
            }
        }

        if (phase == wanted)
        {
            return;
        }

        var updated = volume.DeepClone().AsObject();
        var status = new JsonObject { ["phase"] = wanted, ["lastPhaseTransitionTime"] = PodState.Stamp(context.Time.GetUtcNow()) };
        if (message is not null)
        {
            status["message"] = message;
            Event(context, volume, "Warning", "VolumeFailedDelete", message);
        }

        updated["status"] = status;
        await context.Api.PutAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty, name, "status"), updated, ct);
    }

    private static JsonObject Annotations(JsonObject obj)
    {
        var metadata = obj.Obj("metadata")!;
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        return annotations;
    }

    private static void Event(ControllerContext context, JsonObject obj, string type, string reason, string message)
    {
        var kind = obj.Str("kind") ?? (ObjectKeys.Namespace(obj).Length > 0 ? "PersistentVolumeClaim" : "PersistentVolume");
        context.Events.Record(obj, "v1", kind, Component, type, reason, message);
    }

    private sealed record Caches(SharedCache Claims, SharedCache Volumes, SharedCache Classes, SharedCache Nodes);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4600, Level = LogLevel.Information, Message = "persistentvolume-binder: bound claim {Claim} to volume {Volume}")]
        public static partial void Bound(ILogger logger, string claim, string volume);
    }
}
