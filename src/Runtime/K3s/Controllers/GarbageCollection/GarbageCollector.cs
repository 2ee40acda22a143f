using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>
/// kube-controller-manager's garbage collector over the kinds in <see cref="GcKinds"/>: a dependent whose owners (by
/// uid) are all gone is deleted (<see cref="DependentVerdict"/>), and owners deleted with <c>propagationPolicy</c>
/// Orphan or Foreground are finished (<see cref="OwnerVerdict"/>): their dependents orphaned or deleted, then their
/// finalizer removed. Reconciles are keyed by object (<see cref="GcKind.Key"/>); a change queues the object, the
/// owners it references (so an owner waiting for dependents sees them go) and, on deletion, its dependents. Owners
/// the cache does not show are confirmed absent by a GET before anything is deleted, since each kind's cache lags
/// on its own. Writes carry resourceVersion or a uid precondition.
/// </summary>
internal sealed partial class GarbageCollector : IController
{
    public string Name => "garbagecollector";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var index = new DependentsIndex();
        var caches = new Dictionary<GcKind, SharedCache>();
        foreach (var kind in GcKinds.All)
        {
            caches[kind] = await context.Caches.GetAsync(kind.Resource, ct, kind.MetadataOnly);
        }

        var subscriptions = new List<IDisposable>();
        try
        {
            foreach (var (kind, cache) in caches)
            {
                subscriptions.Add(cache.Subscribe((before, after) => OnChange(kind, queue, index, before, after)));
            }

            var collector = new Collector(context, caches, index, queue, context.Loggers.CreateLogger("k3s.controllers.garbagecollector"));
            await ReconcileLoop.RunAsync(Name, queue, collector.ReconcileAsync, 2, collector.Logger, ct);
        }
        finally
        {
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }

    private static void OnChange(GcKind kind, WorkQueue queue, DependentsIndex index, JsonObject? before, JsonObject? after)
    {
        var obj = (after ?? before)!;
        var key = kind.Key(ObjectKeys.Namespace(obj), ObjectKeys.Name(obj));
        index.Update(key, before, after);
        if (after is not null && (DependentsIndex.OwnerUids(after).Any() || ObjectKeys.IsDeleting(after)))
        {
            queue.Add(key);
        }

        if (after is null)
        {
            foreach (var dependent in index.DependentsOf(ObjectKeys.Uid(obj)))
            {
                queue.Add(dependent);
            }
        }

        if (after is null || ObjectKeys.IsDeleting(after) || !DependentsIndex.OwnerUids(before ?? after).SequenceEqual(DependentsIndex.OwnerUids(after)))
        {
            foreach (var owner in DependentsIndex.OwnerUids(before ?? obj))
            {
                if (index.KeyOf(owner) is { } ownerKey)
                {
                    queue.Add(ownerKey);
                }
            }
        }
    }

    /// <summary>One leadership term's reconcile, with what it already reported (so a bad reference is logged once).</summary>
    private sealed class Collector(ControllerContext context, Dictionary<GcKind, SharedCache> caches, DependentsIndex index, WorkQueue queue, ILogger logger)
    {
        private readonly ConcurrentDictionary<string, string> _reported = new(StringComparer.Ordinal);

        public ILogger Logger => logger;

        public async Task ReconcileAsync(string key, CancellationToken ct)
        {
            if (GcKinds.Parse(key) is not var (kind, ns, name) || !caches[kind].Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var item))
            {
                _reported.TryRemove(key, out _);
                return;
            }

            var dependents = index.DependentsOf(ObjectKeys.Uid(item)).Select(Lookup).OfType<JsonObject>().ToList();
            var asOwner = OwnerVerdict.Decide(item, dependents);
            switch (asOwner.Action)
            {
                case OwnerAction.OrphanDependents:
                    foreach (var dependent in asOwner.Dependents!)
                    {
                        await RewriteOwnersAsync(dependent, refs => refs.Where(r => r.Str("uid") != ObjectKeys.Uid(item)), ct);
                    }

                    Log.Orphaned(logger, key, asOwner.Dependents!.Count);
                    queue.Add(key);
                    return;
                case OwnerAction.WaitForDependents:
                    foreach (var dependent in asOwner.Dependents!)
                    {
                        queue.Add(KeyOf(dependent));
                    }

                    return;
                case OwnerAction.RemoveFinalizer:
                    await RemoveFinalizerAsync(kind, item, asOwner.Finalizer, ct);
                    return;
            }

            var owners = new List<(string Uid, OwnerState State)>();
            foreach (var reference in item.Obj("metadata").Arr("ownerReferences")?.OfType<JsonObject>() ?? [])
            {
                owners.Add((reference.Str("uid") ?? string.Empty, await ResolveAsync(item, reference, ct)));
            }

            var verdict = DependentVerdict.Decide(item, owners, dependents.Count > 0, dependents.Any(IsWaitingForDependents));
            switch (verdict.Action)
            {
                case DependentAction.Delete:
                    Log.Deleting(logger, key, verdict.Policy);
                    await DeleteAsync(kind, item, verdict.Policy, ct);
                    break;
                case DependentAction.UnblockThenDelete:
                    Log.Unblocking(logger, key);
                    var unblocked = await RewriteOwnersAsync(item, refs => refs.Select(r => { var copy = (JsonObject)r.DeepClone(); copy["blockOwnerDeletion"] = false; return copy; }), ct);
                    await DeleteAsync(kind, unblocked ?? item, verdict.Policy, ct);
                    break;
                case DependentAction.RemoveOwners:
                    Log.Dropping(logger, key, string.Join(", ", verdict.OwnerUids!));
                    await RewriteOwnersAsync(item, refs => refs.Where(r => !verdict.OwnerUids!.Contains(r.Str("uid") ?? string.Empty)), ct);
                    break;
                case DependentAction.Leave:
                    if (_reported.TryAdd(key, verdict.Why))
                    {
                        Log.Leaving(logger, key, verdict.Why);
                    }

                    break;
            }
        }

        private static bool IsWaitingForDependents(JsonObject obj) =>
            ObjectKeys.IsDeleting(obj) && obj.Obj("metadata").Arr("finalizers")?.Any(f => f?.GetValue<string>() == OwnerVerdict.Foreground) == true;

        private JsonObject? Lookup(string key) =>
            GcKinds.Parse(key) is var (kind, ns, name) && caches[kind].Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var obj) ? obj : null;

        private string KeyOf(JsonObject obj) => index.KeyOf(ObjectKeys.Uid(obj)) ?? string.Empty;

        /// <summary>Resolves one ownerReference of <paramref name="item"/> by uid: the cache first, then a GET to confirm an owner the cache lacks.</summary>
        private async Task<OwnerState> ResolveAsync(JsonObject item, JsonObject reference, CancellationToken ct)
        {
            var uid = reference.Str("uid") ?? string.Empty;
            var name = reference.Str("name") ?? string.Empty;
            if (uid.Length == 0 || name.Length == 0 || GcKinds.ForOwner(reference.Str("apiVersion"), reference.Str("kind")) is not { } kind)
            {
                return OwnerState.Unresolvable;
            }

            var ns = ObjectKeys.Namespace(item);
            if (kind.Resource.Namespaced && ns.Length == 0)
            {
                return OwnerState.Unresolvable;
            }

            var ownerNs = kind.Resource.Namespaced ? ns : string.Empty;
            if (!caches[kind].Items.TryGetValue(ObjectKeys.CacheKey(ownerNs, name), out var owner) || ObjectKeys.Uid(owner) != uid)
            {
                owner = await context.Api.GetAsync(ApiPaths.For(kind.Resource, ownerNs, name), ct);
            }

            return owner is null || ObjectKeys.Uid(owner) != uid ? OwnerState.Absent
                : IsWaitingForDependents(owner) ? OwnerState.WaitingForDependents
                : OwnerState.Solid;
        }

        private Task DeleteAsync(GcKind kind, JsonObject item, string policy, CancellationToken ct) =>
            context.Api.DeleteAsync(
                ApiPaths.For(kind.Resource, ObjectKeys.Namespace(item), ObjectKeys.Name(item)),
                new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "DeleteOptions",
                    ["propagationPolicy"] = policy,
                    ["preconditions"] = new JsonObject { ["uid"] = ObjectKeys.Uid(item) },
                },
                ct);

        /// <summary>Writes <paramref name="obj"/> with its ownerReferences passed through <paramref name="change"/> (guarded by its resourceVersion); null when it is gone.</summary>
        private async Task<JsonObject?> RewriteOwnersAsync(JsonObject obj, Func<IEnumerable<JsonObject>, IEnumerable<JsonObject>> change, CancellationToken ct)
        {
            if (GcKinds.Parse(KeyOf(obj)) is not var (kind, ns, name))
            {
                return null;
            }

            var update = (JsonObject)obj.DeepClone();
            var metadata = (JsonObject)update["metadata"]!;
            var kept = change(metadata.Arr("ownerReferences")?.OfType<JsonObject>() ?? []).Select(r => (JsonNode)r.DeepClone()).ToArray();
            if (kept.Length == 0)
            {
                metadata.Remove("ownerReferences");
            }
            else
            {
                metadata["ownerReferences"] = new JsonArray(kept);
            }

            try
            {
                return await context.Api.PutAsync(ApiPaths.For(kind.Resource, ns, name), update, ct);
            }
            catch (Kubelet.Client.ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                return null;
            }
        }

        private async Task RemoveFinalizerAsync(GcKind kind, JsonObject owner, string finalizer, CancellationToken ct)
        {
            Log.Finished(logger, kind.Key(ObjectKeys.Namespace(owner), ObjectKeys.Name(owner)), finalizer);
            await ApiWrites.RemoveFinalizerAsync(context.Api, kind.Resource, owner, finalizer, ct);
        }
    }
}
