using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.StatefulSets;

/// <summary>
/// kube-controller-manager's statefulset controller: the IO around <see cref="StatefulSetPlanner"/>. Reads
/// StatefulSets, pods and ControllerRevisions from the shared caches (a pod or revision change resyncs its owner);
/// writes the revision, then pods (fixed names, so a lagging cache only meets AlreadyExists), then the status
/// subresource, recording SuccessfulCreate/SuccessfulDelete events.
/// </summary>
internal sealed partial class StatefulSetController : IController
{
    private const string Component = "statefulset-controller";

    public string Name => "statefulset";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var sets = await context.Caches.GetAsync(ApiPaths.StatefulSets, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var revisions = await context.Caches.GetAsync(ApiPaths.ControllerRevisions, ct);
        var claims = await context.Caches.GetAsync(ApiPaths.PersistentVolumeClaims, ct);
        using var onSet = sets.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onPod = pods.Subscribe((before, after) => Enqueue(queue, (after ?? before)!));
        using var onRevision = revisions.Subscribe((before, after) => Enqueue(queue, (after ?? before)!));
        var logger = context.Loggers.CreateLogger("k3s.controllers.statefulset");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, sets, pods, revisions, claims, queue, logger, key, token), 2, logger, ct);
    }

    /// <summary>
    /// Creates the pod's missing claims before the pod, as upstream's <c>createPersistentVolumeClaims</c> does; a claim
    /// being deleted stops the pod's creation until it is gone (the next sync creates it afresh).
    /// </summary>
    private static async Task CreateClaimsAsync(ControllerContext context, SharedCache claims, JsonObject set, string podName, CancellationToken ct)
    {
        var ns = ObjectKeys.Namespace(set);
        var setName = ObjectKeys.Name(set);
        foreach (var claim in StatefulSetPlanner.Claims(set, podName))
        {
            var claimName = ObjectKeys.Name(claim);
            if (claims.Items.TryGetValue(ObjectKeys.CacheKey(ns, claimName), out var existing))
            {
                if (ObjectKeys.IsDeleting(existing))
                {
                    throw new ApiException(HttpStatusCode.Conflict, $"pvc {claimName} is being deleted");
                }

                continue;
            }

            try
            {
                await context.Api.CreateAsync(ApiPaths.For(ApiPaths.PersistentVolumeClaims, ns), claim, ct);
                context.Events.Record(set, StatefulSetPlanner.ApiVersion, StatefulSetPlanner.Kind, Component, "Normal", "SuccessfulCreate", $"create Claim {claimName} Pod {podName} in StatefulSet {setName} success");
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                // Created by an earlier sync the cache has not shown yet.
            }
            catch (ApiException e)
            {
                context.Events.Record(set, StatefulSetPlanner.ApiVersion, StatefulSetPlanner.Kind, Component, "Warning", "FailedCreate", $"create Claim {claimName} for Pod {podName} in StatefulSet {setName} failed error: {e.Message}");
                throw;
            }
        }
    }

    private static void Enqueue(WorkQueue queue, JsonObject obj)
    {
        if (ControllerRef.Of(obj) is { Kind: StatefulSetPlanner.Kind } owner && owner.ApiVersion.StartsWith("apps/", StringComparison.Ordinal))
        {
            queue.Add(ObjectKeys.Key(ObjectKeys.Namespace(obj), owner.Name));
        }
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache sets, SharedCache pods, SharedCache revisions, SharedCache claims, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!sets.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var set) || ObjectKeys.IsDeleting(set))
        {
            return;
        }

        var uid = ObjectKeys.Uid(set);
        var owned = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && ControllerRef.IsControlledBy(p, uid));
        var plan = StatefulSetPlanner.Plan(set, owned, revisions.Items.Values.Where(r => ObjectKeys.Namespace(r) == ns), context.Time.GetUtcNow());

        if (plan.RevisionToCreate is { } revision)
        {
            await ApiWrites.IgnoreAsync(context.Api.CreateAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns), revision, ct), HttpStatusCode.Conflict);
        }

        if (plan.RevisionToRenumber is { } renumber && revisions.Items.TryGetValue(ObjectKeys.CacheKey(ns, renumber.Name), out var existing))
        {
            var updated = existing.DeepClone().AsObject();
            updated["revision"] = renumber.Number;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns, renumber.Name), updated, ct);
        }

        foreach (var old in plan.RevisionsToDelete)
        {
            await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns, old), [], ct), HttpStatusCode.NotFound);
        }

        foreach (var pod in plan.CreatePods)
        {
            var podName = ObjectKeys.Name(pod);
            await CreateClaimsAsync(context, claims, set, podName, ct);
            try
            {
                await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, ns), pod, ct);
                Log.Created(logger, key, podName);
                context.Events.Record(set, StatefulSetPlanner.ApiVersion, StatefulSetPlanner.Kind, Component, "Normal", "SuccessfulCreate", $"create Pod {podName} in StatefulSet {name} successful");
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                // Created by an earlier sync the cache has not shown yet.
            }
            catch (ApiException e)
            {
                context.Events.Record(set, StatefulSetPlanner.ApiVersion, StatefulSetPlanner.Kind, Component, "Warning", "FailedCreate", $"create Pod {podName} in StatefulSet {name} failed error: {e.Message}");
                throw;
            }
        }

        foreach (var podName in plan.DeletePods)
        {
            await ApiWrites.IgnoreAsync(context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Pods, ns, podName), [], ct), HttpStatusCode.NotFound);
            Log.Deleted(logger, key, podName);
            context.Events.Record(set, StatefulSetPlanner.ApiVersion, StatefulSetPlanner.Kind, Component, "Normal", "SuccessfulDelete", $"delete Pod {podName} in StatefulSet {name} successful");
        }

        if (plan.StatusChanged)
        {
            var updated = set.DeepClone().AsObject();
            updated["status"] = plan.Status;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.StatefulSets, ns, name, "status"), updated, ct);
        }

        if (plan.RequeueAfter is { } wait)
        {
            queue.AddAfter(key, wait);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4430, Level = LogLevel.Information, Message = "statefulset {Key}: created pod {Pod}")]
        public static partial void Created(ILogger logger, string key, string pod);

        [LoggerMessage(EventId = 4431, Level = LogLevel.Information, Message = "statefulset {Key}: deleted pod {Pod}")]
        public static partial void Deleted(ILogger logger, string key, string pod);
    }
}
