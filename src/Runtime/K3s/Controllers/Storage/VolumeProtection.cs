using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// kube-controller-manager's pv-protection controller: a volume being deleted keeps its
/// <c>kubernetes.io/pv-protection</c> finalizer while it is Bound to a claim, and loses it once it is not.
/// </summary>
internal sealed class VolumeProtection : IController
{
    public string Name => "pv-protection";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var volumes = await context.Caches.GetAsync(ApiPaths.PersistentVolumes, ct);
        using var onVolume = volumes.Subscribe((_, after) =>
        {
            if (after is not null && ObjectKeys.IsDeleting(after))
            {
                queue.Add(ObjectKeys.Name(after));
            }
        });
        var logger = context.Loggers.CreateLogger("k3s.controllers.pvprotection");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, volumes, key, token), 1, logger, ct);
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache volumes, string name, CancellationToken ct)
    {
        if (!volumes.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, name), out var volume) || !ObjectKeys.IsDeleting(volume)
            || volume.Obj("status").Str("phase") == "Bound")
        {
            return;
        }

        await ApiWrites.RemoveFinalizerAsync(context.Api, ApiPaths.PersistentVolumes, volume, StorageProtection.VolumeFinalizer, ct);
    }
}
