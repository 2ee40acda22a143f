using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>
/// kube-controller-manager's disruption controller: the IO around <see cref="DisruptionPlanner"/>. Reads budgets,
/// pods and the four scalable workload kinds from the shared caches; a budget is synced when it changes, when a pod
/// it selects (before or after the change) is added, changed or deleted, and when a workload's
/// <c>spec.replicas</c> changes in its namespace. Writes the status subresource at the cached resourceVersion and
/// only when it changed (a 409 means another writer, usually an eviction, won: the key is retried), then queues the
/// budget again for the earliest moment a recorded disruption expires.
/// </summary>
internal sealed partial class DisruptionController : IController
{
    private const string Component = "controllermanager";

    public string Name => "disruption";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var budgets = await context.Caches.GetAsync(ApiPaths.PodDisruptionBudgets, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var workloads = new Dictionary<string, SharedCache>(StringComparer.Ordinal)
        {
            ["ReplicaSet"] = await context.Caches.GetAsync(ApiPaths.ReplicaSets, ct),
            ["Deployment"] = await context.Caches.GetAsync(ApiPaths.Deployments, ct),
            ["StatefulSet"] = await context.Caches.GetAsync(ApiPaths.StatefulSets, ct),
            ["ReplicationController"] = await context.Caches.GetAsync(ApiPaths.ReplicationControllers, ct),
        };

        using var onBudget = budgets.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onPod = pods.Subscribe((before, after) =>
        {
            foreach (var pod in new[] { before, after }.OfType<JsonObject>())
            {
                foreach (var budget in Selecting(budgets, pod))
                {
                    queue.Add(ObjectKeys.Of(budget));
                }
            }
        });
        var onWorkloads = workloads.Values.Select(cache => cache.Subscribe((before, after) =>
        {
            if (before?.Obj("spec").Long("replicas") != after?.Obj("spec").Long("replicas"))
            {
                var ns = ObjectKeys.Namespace((after ?? before)!);
                foreach (var budget in budgets.Items.Values.Where(b => ObjectKeys.Namespace(b) == ns))
                {
                    queue.Add(ObjectKeys.Of(budget));
                }
            }
        })).ToList();

        try
        {
            JsonObject? Lookup(string kind, string ns, string name) =>
                workloads.TryGetValue(kind, out var cache) && cache.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var found) ? found : null;

            var logger = context.Loggers.CreateLogger("k3s.controllers.disruption");
            await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, budgets, pods, Lookup, queue, logger, key, token), 1, logger, ct);
        }
        finally
        {
            onWorkloads.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The budgets in <paramref name="pod"/>'s namespace whose selector matches it.</summary>
    private static IEnumerable<JsonObject> Selecting(SharedCache budgets, JsonObject pod)
    {
        var ns = ObjectKeys.Namespace(pod);
        foreach (var budget in budgets.Items.Values.Where(b => ObjectKeys.Namespace(b) == ns))
        {
            bool matches;
            try
            {
                matches = DisruptionPlanner.Select(budget, [pod]).Count > 0;
            }
            catch (ApiServer.Errors.ApiStatusException)
            {
                // A selector that does not parse is reported when the budget itself is synced.
                matches = false;
            }

            if (matches)
            {
                yield return budget;
            }
        }
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache budgets, SharedCache pods, WorkloadLookup lookup, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!budgets.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var budget))
        {
            return;
        }

        var inNamespace = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns);
        var plan = DisruptionPlanner.Plan(budget, inNamespace, lookup, context.Time.GetUtcNow());
        foreach (var e in plan.Events)
        {
            if (e.Pod is { } pod)
            {
                context.Events.Record(pod, "v1", "Pod", Component, e.Type, e.Reason, e.Message);
            }
            else
            {
                context.Events.Record(budget, DisruptionPlanner.ApiVersion, DisruptionPlanner.Kind, Component, e.Type, e.Reason, e.Message);
            }
        }

        if (plan.Error is { } error)
        {
            Log.SyncFailed(logger, key, error);
        }

        if (plan.StatusChanged)
        {
            var updated = budget.DeepClone().AsObject();
            updated["status"] = plan.Status.DeepClone();
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.PodDisruptionBudgets, ns, name, "status"), updated, ct);
            Log.StatusWritten(logger, key, plan.Status.Long("disruptionsAllowed") ?? 0, plan.Status.Long("currentHealthy") ?? 0, plan.Status.Long("desiredHealthy") ?? 0);
        }

        if (plan.RecheckAfter is { } wait)
        {
            queue.AddAfter(key, wait + TimeSpan.FromMilliseconds(100));
        }
    }
}
