using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.DaemonSets;

/// <summary>
/// kube-controller-manager's daemonset controller: the IO around <see cref="DaemonSetPlanner"/>. Reads DaemonSets,
/// nodes, pods and ControllerRevisions from the shared caches; any change to a node resyncs every DaemonSet, a pod or
/// revision change resyncs its owner. Writes revisions, then pods (guarded by <see cref="Expectations"/> so a lagging
/// cache never doubles a pod), then the status subresource, recording SuccessfulCreate/SuccessfulDelete events.
/// </summary>
internal sealed partial class DaemonSetController : IController
{
    private const string Component = "daemonset-controller";

    public string Name => "daemonset";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var expectations = new Expectations(context.Time);
        var daemonSets = await context.Caches.GetAsync(ApiPaths.DaemonSets, ct);
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var revisions = await context.Caches.GetAsync(ApiPaths.ControllerRevisions, ct);
        using var onDaemonSet = daemonSets.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onNode = nodes.Subscribe((_, _) =>
        {
            foreach (var daemonSet in daemonSets.Items.Values)
            {
                queue.Add(ObjectKeys.Of(daemonSet));
            }
        });
        using var onPod = pods.Subscribe((before, after) =>
        {
            if (Owner((after ?? before)!) is not { } key)
            {
                return;
            }

            if (before is null)
            {
                expectations.Added(key);
            }
            else if ((after is null && !ObjectKeys.IsDeleting(before)) || (after is not null && ObjectKeys.IsDeleting(after) && !ObjectKeys.IsDeleting(before)))
            {
                expectations.Deleted(key);
            }

            queue.Add(key);
        });
        using var onRevision = revisions.Subscribe((before, after) =>
        {
            if (Owner((after ?? before)!) is { } key)
            {
                queue.Add(key);
            }
        });

        var logger = context.Loggers.CreateLogger("k3s.controllers.daemonset");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, new Caches(daemonSets, nodes, pods, revisions), expectations, queue, logger, key, token), 2, logger, ct);
    }

    private static string? Owner(JsonObject obj) =>
        ControllerRef.Of(obj) is { Kind: DaemonSetPlanner.Kind } owner && owner.ApiVersion.StartsWith("apps/", StringComparison.Ordinal)
            ? ObjectKeys.Key(ObjectKeys.Namespace(obj), owner.Name)
            : null;

    private static async Task ReconcileAsync(ControllerContext context, Caches caches, Expectations expectations, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!caches.DaemonSets.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var daemonSet) || ObjectKeys.IsDeleting(daemonSet))
        {
            expectations.Forget(key);
            return;
        }

        var satisfied = expectations.Satisfied(key); // before the pods are read: see JobController
        var uid = ObjectKeys.Uid(daemonSet);
        var owned = caches.Pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && ControllerRef.IsControlledBy(p, uid));
        var revisions = caches.Revisions.Items.Values.Where(r => ObjectKeys.Namespace(r) == ns);
        var plan = DaemonSetPlanner.Plan(daemonSet, caches.Nodes.Items.Values, owned, revisions, context.Time.GetUtcNow());

        await WriteRevisionsAsync(context, caches, ns, plan, ct);
        if (satisfied && (plan.CreateOnNodes.Count > 0 || plan.DeletePods.Count > 0))
        {
            expectations.Expect(key, plan.CreateOnNodes.Count, plan.DeletePods.Count);
            await Task.WhenAll(plan.CreateOnNodes.Select(node => CreateAsync(context, expectations, logger, daemonSet, key, node, plan.Hash, ct)));
            await Task.WhenAll(plan.DeletePods.Select(pod => DeleteAsync(context, expectations, logger, daemonSet, key, pod, ct)));
        }

        if (plan.StatusChanged)
        {
            var updated = daemonSet.DeepClone().AsObject();
            updated["status"] = plan.Status;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.DaemonSets, ns, name, "status"), updated, ct);
        }

        if (plan.RequeueAfter is { } wait)
        {
            queue.AddAfter(key, wait);
        }
    }

    private static async Task WriteRevisionsAsync(ControllerContext context, Caches caches, string ns, DaemonSetPlan plan, CancellationToken ct)
    {
        if (plan.RevisionToCreate is { } revision)
        {
            try
            {
                await context.Api.CreateAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns), revision, ct);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                // Created by an earlier sync the cache has not shown yet; the next sync sees it.
            }
        }

        if (plan.RevisionToRenumber is { } renumber && caches.Revisions.Items.TryGetValue(ObjectKeys.CacheKey(ns, renumber.Name), out var existing))
        {
            var updated = existing.DeepClone().AsObject();
            updated["revision"] = renumber.Number;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns, renumber.Name), updated, ct);
        }

        foreach (var old in plan.RevisionsToDelete)
        {
            try
            {
                await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.ControllerRevisions, ns, old), [], ct);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
        }
    }

    private static async Task CreateAsync(ControllerContext context, Expectations expectations, ILogger logger, JsonObject daemonSet, string key, string node, string hash, CancellationToken ct)
    {
        try
        {
            var created = await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(daemonSet)), DaemonSetPlanner.NewPod(daemonSet, node, hash), ct);
            Log.Created(logger, key, ObjectKeys.Name(created), node);
            context.Events.Record(daemonSet, DaemonSetPlanner.ApiVersion, DaemonSetPlanner.Kind, Component, "Normal", "SuccessfulCreate", $"Created pod: {ObjectKeys.Name(created)}");
        }
        catch (ApiException e)
        {
            expectations.AddFailed(key);
            context.Events.Record(daemonSet, DaemonSetPlanner.ApiVersion, DaemonSetPlanner.Kind, Component, "Warning", "FailedCreate", $"Error creating: {e.Message}");
            throw;
        }
    }

    private static async Task DeleteAsync(ControllerContext context, Expectations expectations, ILogger logger, JsonObject daemonSet, string key, string pod, CancellationToken ct)
    {
        try
        {
            await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(daemonSet), pod), [], ct);
            Log.Deleted(logger, key, pod);
            context.Events.Record(daemonSet, DaemonSetPlanner.ApiVersion, DaemonSetPlanner.Kind, Component, "Normal", "SuccessfulDelete", $"Deleted pod: {pod}");
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            expectations.DeleteFailed(key);
        }
        catch (ApiException)
        {
            expectations.DeleteFailed(key);
            throw;
        }
    }

    private sealed record Caches(SharedCache DaemonSets, SharedCache Nodes, SharedCache Pods, SharedCache Revisions);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4400, Level = LogLevel.Information, Message = "daemonset {Key}: created pod {Pod} on node {Node}")]
        public static partial void Created(ILogger logger, string key, string pod, string node);

        [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "daemonset {Key}: deleted pod {Pod}")]
        public static partial void Deleted(ILogger logger, string key, string pod);
    }
}
