using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// kube-controller-manager's ttl-after-finished controller: a finished Job with <c>ttlSecondsAfterFinished</c> is
/// deleted (background propagation: the garbage collector removes its pods) once that long has passed since it finished. Each Job is queued for the
/// moment it expires (<see cref="JobPlanner.ExpiresAt"/>); nothing polls.
/// </summary>
internal sealed partial class TtlAfterFinishedController : IController
{
    public string Name => "ttl-after-finished";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var jobs = await context.Caches.GetAsync(ApiPaths.Jobs, ct);
        using var onJob = jobs.Subscribe((_, after) =>
        {
            if (after is not null && JobPlanner.ExpiresAt(after) is not null)
            {
                queue.Add(ObjectKeys.Of(after));
            }
        });
        var logger = context.Loggers.CreateLogger("k3s.controllers.ttlafterfinished");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, jobs, queue, logger, key, token), 1, logger, ct);
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache jobs, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!jobs.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var job) || ObjectKeys.IsDeleting(job) || JobPlanner.ExpiresAt(job) is not { } expires)
        {
            return;
        }

        var wait = expires - context.Time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            queue.AddAfter(key, wait + TimeSpan.FromMilliseconds(100));
            return;
        }

        var options = new JsonObject
        {
            ["propagationPolicy"] = "Background",
            ["preconditions"] = new JsonObject { ["uid"] = ObjectKeys.Uid(job) },
        };
        try
        {
            await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Jobs, ns, name), options, ct);
            Log.Deleted(logger, key);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone or replaced by a new Job of the same name.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4415, Level = LogLevel.Information, Message = "ttl-after-finished: deleted finished job {Key}")]
        public static partial void Deleted(ILogger logger, string key);
    }
}
