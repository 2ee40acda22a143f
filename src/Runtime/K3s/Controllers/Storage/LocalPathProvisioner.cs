using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// k3s's packaged local-path provisioner (<c>rancher.io/local-path</c>), run in the controller manager rather than as
/// a Deployment (<c>--disable local-storage</c> turns it off). For a claim the binder handed to it
/// (<c>volume.kubernetes.io/storage-provisioner</c>) and the scheduler placed (<c>volume.kubernetes.io/selected-node</c>)
/// it creates the volume of <see cref="LocalPathVolumes.Volume"/>, already reserved for the claim, so the binder binds
/// the two and the kubelet makes the directory when the pod starts. A released volume with reclaim policy Delete
/// has its directory removed by a helper pod on its node (<c>rm -rf</c>, only under the storage root), then is
/// deleted; a volume whose node is gone is deleted at once (its data went with the node). Events as the external
/// provisioner writes them: Provisioning, ProvisioningSucceeded, ProvisioningFailed, VolumeFailedDelete.
/// </summary>
internal sealed partial class LocalPathProvisioner(string root) : IController
{
    private const string Component = "rancher.io/local-path_k3s";
    private const string ClaimPrefix = "claim:";
    private const string VolumePrefix = "volume:";

    public string Name => "local-path-provisioner";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var claims = await context.Caches.GetAsync(ApiPaths.PersistentVolumeClaims, ct);
        var volumes = await context.Caches.GetAsync(ApiPaths.PersistentVolumes, ct);
        var classes = await context.Caches.GetAsync(ApiPaths.StorageClasses, ct);
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        using var onClaim = claims.Subscribe((_, after) =>
        {
            if (after is not null && VolumeClaims.Annotation(after, VolumeClaims.StorageProvisioner) == LocalPathVolumes.Provisioner && VolumeClaims.VolumeName(after).Length == 0)
            {
                queue.Add(ClaimPrefix + ObjectKeys.Of(after));
            }
        });
        using var onVolume = volumes.Subscribe((_, after) =>
        {
            if (after is not null && VolumeClaims.Annotation(after, VolumeClaims.ProvisionedBy) == LocalPathVolumes.Provisioner)
            {
                queue.Add(VolumePrefix + ObjectKeys.Name(after));
            }
        });
        using var onPod = pods.Subscribe((before, after) =>
        {
            if ((after ?? before)!.Obj("metadata").Obj("labels").Str(LocalPathVolumes.HelperVolumeLabel) is { } volume)
            {
                queue.Add(VolumePrefix + volume);
            }
        });
        var logger = context.Loggers.CreateLogger("k3s.controllers.localpath");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => key.StartsWith(ClaimPrefix, StringComparison.Ordinal)
            ? ProvisionAsync(context, claims, classes, nodes, volumes, logger, key[ClaimPrefix.Length..], token)
            : ReclaimAsync(context, volumes, nodes, pods, queue, logger, key[VolumePrefix.Length..], token), 2, logger, ct);
    }

    private async Task ProvisionAsync(ControllerContext context, SharedCache claims, SharedCache classes, SharedCache nodes, SharedCache volumes, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!claims.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var claim) || ObjectKeys.IsDeleting(claim) || VolumeClaims.VolumeName(claim).Length > 0
            || VolumeClaims.Annotation(claim, VolumeClaims.StorageProvisioner) != LocalPathVolumes.Provisioner)
        {
            return;
        }

        var volumeName = LocalPathVolumes.VolumeName(claim);
        if (volumes.Items.ContainsKey(ObjectKeys.CacheKey(string.Empty, volumeName)))
        {
            return;
        }

        var className = VolumeClaims.ClassOf(claim);
        if (classes.Items.GetValueOrDefault(ObjectKeys.CacheKey(string.Empty, className)) is not { } storageClass || storageClass.Str("provisioner") != LocalPathVolumes.Provisioner)
        {
            return;
        }

        if (LocalPathVolumes.Refusal(claim) is { } refusal)
        {
            Failed(context, claim, refusal);
            return;
        }

        if (VolumeClaims.Annotation(claim, VolumeClaims.SelectedNode) is not { Length: > 0 } node)
        {
            Failed(context, claim, "configuration error, no node was specified");
            return;
        }

        context.Events.Record(claim, "v1", "PersistentVolumeClaim", Component, "Normal", "Provisioning", $"External provisioner is provisioning volume for claim \"{ns}/{name}\"");
        var volume = LocalPathVolumes.Volume(claim, storageClass, node, nodes.Items.GetValueOrDefault(ObjectKeys.CacheKey(string.Empty, node)), root);
        try
        {
            await context.Api.CreateAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty), volume, ct);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            return;
        }
        catch (ApiException e)
        {
            Failed(context, claim, e.Message);
            throw;
        }

        Log.Provisioned(logger, volumeName, key, node);
        context.Events.Record(claim, "v1", "PersistentVolumeClaim", Component, "Normal", "ProvisioningSucceeded", $"Successfully provisioned volume {volumeName}");
    }

    private async Task ReclaimAsync(ControllerContext context, SharedCache volumes, SharedCache nodes, SharedCache pods, WorkQueue queue, ILogger logger, string name, CancellationToken ct)
    {
        var helperName = LocalPathVolumes.HelperName(name);
        var helperPath = ApiPaths.For(ApiPaths.Pods, LocalPathVolumes.HelperNamespace, helperName);
        var helper = pods.Items.GetValueOrDefault(ObjectKeys.CacheKey(LocalPathVolumes.HelperNamespace, helperName));
        if (!volumes.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, name), out var volume))
        {
            // The volume is gone: a finished helper left behind (its delete failed) is removed.
            if (helper is not null && !PodState.IsActive(helper))
            {
                await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(helperPath, [], ct), HttpStatusCode.NotFound);
            }

            return;
        }

        if (ObjectKeys.IsDeleting(volume) || volume.Obj("status").Str("phase") != "Released" || volume.Obj("spec").Str("persistentVolumeReclaimPolicy") != "Delete"
            || VolumeClaims.Annotation(volume, VolumeClaims.ProvisionedBy) != LocalPathVolumes.Provisioner)
        {
            return;
        }

        var node = LocalPathVolumes.Node(volume);
        var directory = LocalPathVolumes.Directory(volume, root);
        if (node is not null && directory is not null && nodes.Items.ContainsKey(ObjectKeys.CacheKey(string.Empty, node)))
        {
            if (helper is null)
            {
                // The caches of pods and volumes lag independently: read the volume live, so a helper is never started
                // again for a volume this controller has just deleted.
                if (await context.Api.GetAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty, name), ct) is not { } live || ObjectKeys.IsDeleting(live))
                {
                    return;
                }

                await ApiWrites.IgnoreAsync(context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, LocalPathVolumes.HelperNamespace), LocalPathVolumes.DeleteHelper(volume, node, directory), ct), HttpStatusCode.Conflict);
                queue.AddAfter(VolumePrefix + name, TimeSpan.FromSeconds(30));
                return;
            }

            switch (PodState.Phase(helper))
            {
                case "Succeeded":
                    break;
                case "Failed":
                    context.Events.Record(volume, "v1", "PersistentVolume", Component, "Warning", "VolumeFailedDelete", $"failed to delete volume {name}: the helper pod {LocalPathVolumes.HelperNamespace}/{helperName} failed on node {node}");
                    await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(helperPath, [], ct), HttpStatusCode.NotFound);
                    throw new ApiException(HttpStatusCode.InternalServerError, $"{{\"message\":\"the helper pod removing {directory} on {node} failed\"}}");
                default:
                    // The pod's own changes requeue this; the delay covers a node that never runs it.
                    queue.AddAfter(VolumePrefix + name, TimeSpan.FromSeconds(30));
                    return;
            }
        }

        // The volume goes first, then its helper: a helper is only ever made for a volume that still exists.
        await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(ApiPaths.For(ApiPaths.PersistentVolumes, string.Empty, name), [], ct), HttpStatusCode.NotFound);
        if (helper is not null)
        {
            await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(helperPath, [], ct), HttpStatusCode.NotFound);
        }

        Log.Deleted(logger, name, node ?? "?");
    }

    private static void Failed(ControllerContext context, JsonObject claim, string message) =>
        context.Events.Record(claim, "v1", "PersistentVolumeClaim", Component, "Warning", "ProvisioningFailed", $"failed to provision volume with StorageClass \"{VolumeClaims.ClassOf(claim)}\": {message}");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4605, Level = LogLevel.Information, Message = "local-path: provisioned volume {Volume} for claim {Claim} on node {Node}")]
        public static partial void Provisioned(ILogger logger, string volume, string claim, string node);

        [LoggerMessage(EventId = 4606, Level = LogLevel.Information, Message = "local-path: deleted volume {Volume} and its directory on node {Node}")]
        public static partial void Deleted(ILogger logger, string volume, string node);
    }
}
