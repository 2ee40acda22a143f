using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// kube-controller-manager's replicaset controller: keeps <c>spec.replicas</c> active pods made from each
/// ReplicaSet's template, adopting matching orphans and releasing pods that stopped matching, and writes the set's
/// status. Pod and ReplicaSet changes queue the owning set; the work is done by <see cref="ReplicaSetSync"/>.
/// </summary>
internal sealed class ReplicaSetController : IController
{
    /// <summary>The component events are recorded as.</summary>
    public const string Component = "replicaset-controller";

    /// <summary>Upstream's --concurrent-replicaset-syncs default is 5; two cores make 3 plenty.</summary>
    private const int Workers = 3;

    public string Name => "replicaset";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var expectations = new Expectations(context.Time);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var sets = await context.Caches.GetAsync(ApiPaths.ReplicaSets, ct);
        var logger = context.Loggers.CreateLogger("k3s.controllers.replicaset");
        var sync = new ReplicaSetSync(context, pods, sets, expectations, logger);
        // A deleted set is queued too, so its reconcile finds it gone and forgets its expectations.
        using var onSet = sets.Subscribe((before, after) =>
        {
            if ((after ?? before) is { } set)
            {
                queue.Add(ObjectKeys.Of(set));
            }
        });
        using var onPod = pods.Subscribe((before, after) => OnPod(sets, expectations, queue, before, after));
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => sync.ReconcileAsync(key, queue, token), Workers, logger, ct);
    }

    /// <summary>
    /// Queues the sets a pod change concerns and tells the expectations what was observed: a creation counts for the
    /// pod's owner, a deletion counts once, when the pod first carries a deletionTimestamp or disappears without one.
    /// </summary>
    private static void OnPod(SharedCache sets, Expectations expectations, WorkQueue queue, JsonObject? before, JsonObject? after)
    {
        var beforeOwner = before is null ? null : OwnerKey(before);
        var afterOwner = after is null ? null : OwnerKey(after);
        if (before is null && after is not null && afterOwner is not null)
        {
            if (ObjectKeys.IsDeleting(after))
            {
                expectations.Deleted(afterOwner);
            }
            else
            {
                expectations.Added(afterOwner);
            }
        }
        else if (before is not null && !ObjectKeys.IsDeleting(before) && beforeOwner is not null && (after is null || ObjectKeys.IsDeleting(after)))
        {
            expectations.Deleted(beforeOwner);
        }

        foreach (var pod in new[] { before, after })
        {
            if (pod is null)
            {
                continue;
            }

            if (OwnerKey(pod) is { } owner)
            {
                queue.Add(owner);
            }
            else if (ControllerRef.Of(pod) is null)
            {
                // An orphan: every set that could adopt it looks at it.
                var ns = ObjectKeys.Namespace(pod);
                foreach (var set in sets.Items.Values)
                {
                    if (ObjectKeys.Namespace(set) == ns && PodTemplates.Selector(set["spec"]?["selector"] as JsonObject)(pod))
                    {
                        queue.Add(ObjectKeys.Of(set));
                    }
                }
            }
        }
    }

    /// <summary>The key of the ReplicaSet controlling <paramref name="pod"/>, or null.</summary>
    private static string? OwnerKey(JsonObject pod) =>
        ControllerRef.Of(pod) is { Kind: "ReplicaSet" } owner && owner.ApiVersion.StartsWith("apps/", StringComparison.Ordinal)
            ? ObjectKeys.Key(ObjectKeys.Namespace(pod), owner.Name)
            : null;
}
