using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// kube-controller-manager's cronjob controller: the IO around <see cref="CronJobPlanner"/>. Reads CronJobs and Jobs
/// from the shared caches (a Job change resyncs the CronJob controlling it); deletes, then creates Jobs, then writes
/// the status subresource with the new Job in <c>status.active</c>. Each CronJob is queued again for its next
/// schedule time — nothing polls. Job names are deterministic, so a sync repeated from a lagging cache only meets
/// AlreadyExists.
/// </summary>
internal sealed partial class CronJobController : IController
{
    private const string Component = "cronjob-controller";

    public string Name => "cronjob";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var cronJobs = await context.Caches.GetAsync(ApiPaths.CronJobs, ct);
        var jobs = await context.Caches.GetAsync(ApiPaths.Jobs, ct);
        using var onCronJob = cronJobs.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onJob = jobs.Subscribe((before, after) =>
        {
            var job = (after ?? before)!;
            if (ControllerRef.Of(job) is { Kind: CronJobPlanner.Kind } owner && owner.ApiVersion.StartsWith("batch/", StringComparison.Ordinal))
            {
                queue.Add(ObjectKeys.Key(ObjectKeys.Namespace(job), owner.Name));
            }
        });

        var logger = context.Loggers.CreateLogger("k3s.controllers.cronjob");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, cronJobs, jobs, queue, logger, key, token), 1, logger, ct);
    }

    /// <summary>The system's IANA time zone of that name, or null.</summary>
    internal static TimeZoneInfo? FindZone(string name)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache cronJobs, SharedCache jobs, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!cronJobs.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var cronJob))
        {
            return;
        }

        var uid = ObjectKeys.Uid(cronJob);
        var owned = jobs.Items.Values.Where(j => ObjectKeys.Namespace(j) == ns && ControllerRef.IsControlledBy(j, uid));
        var plan = CronJobPlanner.Plan(cronJob, owned, context.Time.GetUtcNow(), FindZone);

        foreach (var job in plan.DeleteJobs)
        {
            try
            {
                await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Jobs, ns, job), new JsonObject { ["propagationPolicy"] = "Background" }, ct);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
        }

        var status = plan.Status;
        if (plan.CreateJob is { } newJob)
        {
            try
            {
                var created = await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Jobs, ns), newJob, ct);
                if (status["active"] is not JsonArray active)
                {
                    status["active"] = active = [];
                }

                active.Add((JsonNode)CronJobPlanner.Reference(created));
                Log.Created(logger, key, ObjectKeys.Name(created));
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
                // Created by an earlier sync the cache has not shown yet.
            }
            catch (ApiException e)
            {
                context.Events.Record(cronJob, JobPods.ApiVersion, CronJobPlanner.Kind, Component, "Warning", "FailedCreate", $"Error creating job: {e.Message}");
                throw;
            }
        }

        if (plan.StatusChanged || plan.CreateJob is not null)
        {
            var updated = cronJob.DeepClone().AsObject();
            updated["status"] = status;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.CronJobs, ns, name, "status"), updated, ct);
        }

        foreach (var e in plan.Events)
        {
            context.Events.Record(cronJob, JobPods.ApiVersion, CronJobPlanner.Kind, Component, e.Type, e.Reason, e.Message);
        }

        if (plan.RequeueAfter is { } wait)
        {
            queue.AddAfter(key, wait + TimeSpan.FromMilliseconds(100));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4420, Level = LogLevel.Information, Message = "cronjob {Key}: created job {Job}")]
        public static partial void Created(ILogger logger, string key, string job);
    }
}
