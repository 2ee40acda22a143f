using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// kube-controller-manager's deployment controller: rolls each Deployment's pod template out through ReplicaSets
/// (see <see cref="DeploymentPlanner"/>). Deployment changes queue the Deployment; ReplicaSet changes queue their
/// owner (an orphan, every Deployment that could adopt it); pod deletions queue the owner of the pod's ReplicaSet,
/// which is what a Recreate rollout waits for. The work is done by <see cref="DeploymentSync"/>.
/// </summary>
internal sealed class DeploymentController : IController
{
    /// <summary>The component events are recorded as.</summary>
    public const string Component = "deployment-controller";

    /// <summary>Upstream's --concurrent-deployment-syncs default is 5; two cores make 3 plenty.</summary>
    private const int Workers = 3;

    public string Name => "deployment";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var deployments = await context.Caches.GetAsync(ApiPaths.Deployments, ct);
        var sets = await context.Caches.GetAsync(ApiPaths.ReplicaSets, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var logger = context.Loggers.CreateLogger("k3s.controllers.deployment");
        var sync = new DeploymentSync(context, deployments, sets, pods, logger);
        using var onDeployment = deployments.Subscribe((_, after) =>
        {
            if (after is not null)
            {
                queue.Add(ObjectKeys.Of(after));
            }
        });
        using var onSet = sets.Subscribe((before, after) =>
        {
            foreach (var set in new[] { before, after })
            {
                if (set is not null)
                {
                    QueueOwners(deployments, queue, set);
                }
            }
        });
        using var onPod = pods.Subscribe((before, after) =>
        {
            if (after is null && before is not null && ControllerRef.Of(before) is { Kind: "ReplicaSet" } owner
                && sets.Items.TryGetValue(ObjectKeys.CacheKey(ObjectKeys.Namespace(before), owner.Name), out var set))
            {
                QueueOwners(deployments, queue, set);
            }
        });
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => sync.ReconcileAsync(key, queue, token), Workers, logger, ct);
    }

    /// <summary>Queues the Deployment controlling <paramref name="set"/>, or, for an orphan, every Deployment whose selector matches it.</summary>
    private static void QueueOwners(SharedCache deployments, WorkQueue queue, JsonObject set)
    {
        var ns = ObjectKeys.Namespace(set);
        if (ControllerRef.Of(set) is { } owner)
        {
            if (owner.Kind == "Deployment")
            {
                queue.Add(ObjectKeys.Key(ns, owner.Name));
            }

            return;
        }

        foreach (var deployment in deployments.Items.Values)
        {
            if (ObjectKeys.Namespace(deployment) == ns && PodTemplates.Selector(deployment["spec"]?["selector"] as JsonObject)(set))
            {
                queue.Add(ObjectKeys.Of(deployment));
            }
        }
    }
}
