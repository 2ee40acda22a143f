using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Admission;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Storage;

/// <summary>
/// kube-controller-manager's pvc-protection controller: a claim being deleted keeps its
/// <c>kubernetes.io/pvc-protection</c> finalizer while a scheduled pod that has not finished mounts it, and loses it
/// (so the deletion completes and the binder releases the volume) once none does. The cache's answer "unused" is
/// checked against a live list of the namespace's pods before the finalizer goes, as upstream does.
/// </summary>
internal sealed class ClaimProtection : IController
{
    public string Name => "pvc-protection";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var claims = await context.Caches.GetAsync(ApiPaths.PersistentVolumeClaims, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        using var onClaim = claims.Subscribe((_, after) =>
        {
            if (after is not null && ObjectKeys.IsDeleting(after) && HasFinalizer(after))
            {
                queue.Add(ObjectKeys.Of(after));
            }
        });
        using var onPod = pods.Subscribe((before, after) =>
        {
            // A pod that went away or finished may have been the last user of its claims.
            if (after is null || !PodState.IsActive(after))
            {
                var pod = (after ?? before)!;
                foreach (var claim in ClaimsOf(pod))
                {
                    queue.Add(ObjectKeys.Key(ObjectKeys.Namespace(pod), claim));
                }
            }
        });
        var logger = context.Loggers.CreateLogger("k3s.controllers.pvcprotection");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, claims, pods, key, token), 1, logger, ct);
    }

    /// <summary>The claims a pod mounts.</summary>
    public static IEnumerable<string> ClaimsOf(JsonObject pod) =>
        pod.Obj("spec").Arr("volumes").Items().Select(v => v.Item.Obj("persistentVolumeClaim").Str("claimName")).OfType<string>();

    /// <summary>Whether a pod keeps the claim in use: scheduled, not finished, mounting it.</summary>
    public static bool Uses(JsonObject pod, string claim) =>
        PodState.NodeName(pod).Length > 0 && PodState.Phase(pod) is not ("Succeeded" or "Failed") && ClaimsOf(pod).Contains(claim);

    private static bool HasFinalizer(JsonObject claim) =>
        claim.Obj("metadata").Arr("finalizers").Items().Any(f => JsonFields.AsString(f.Item) == StorageProtection.ClaimFinalizer);

    private static async Task ReconcileAsync(ControllerContext context, SharedCache claims, SharedCache pods, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!claims.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var claim) || !ObjectKeys.IsDeleting(claim) || !HasFinalizer(claim))
        {
            return;
        }

        if (pods.Items.Values.Any(p => ObjectKeys.Namespace(p) == ns && Uses(p, name)))
        {
            return;
        }

        var live = await context.Api.GetAsync(ApiPaths.For(ApiPaths.Pods, ns), ct);
        if (live.Arr("items").Items().Any(p => p.Item is JsonObject pod && Uses(pod, name)))
        {
            return;
        }

        await ApiWrites.RemoveFinalizerAsync(context.Api, ApiPaths.PersistentVolumeClaims, claim, StorageProtection.ClaimFinalizer, ct);
    }
}
