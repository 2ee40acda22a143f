using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// kube-controller-manager's job controller: the IO around <see cref="JobPlanner"/>. Reads Jobs and pods from the
/// shared caches (a pod change resyncs its Job); writes the status subresource first, then removes the tracking
/// finalizer of the pods that status counts, then deletes and creates pods (creations guarded by
/// <see cref="Expectations"/>). A Job's status is only planned from a cache that has seen this controller's last
/// status write, so a lagging cache never double-counts. Pods of a Job that is gone or being deleted lose their
/// tracking finalizer so they can go too.
/// </summary>
internal sealed partial class JobController : IController
{
    private const string Component = "job-controller";

    public string Name => "job";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var expectations = new Expectations(context.Time);
        var written = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var jobs = await context.Caches.GetAsync(ApiPaths.Jobs, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        using var onJob = jobs.Subscribe((before, after) => queue.Add(ObjectKeys.Of((after ?? before)!)));
        using var onPod = pods.Subscribe((before, after) =>
        {
            var pod = (after ?? before)!;
            if (ControllerRef.Of(pod) is not { Kind: JobPods.Kind } owner || !owner.ApiVersion.StartsWith("batch/", StringComparison.Ordinal))
            {
                return;
            }

            var key = ObjectKeys.Key(ObjectKeys.Namespace(pod), owner.Name);
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

        var logger = context.Loggers.CreateLogger("k3s.controllers.job");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, jobs, pods, expectations, written, queue, logger, key, token), 2, logger, ct);
    }

    private static async Task ReconcileAsync(ControllerContext context, SharedCache jobs, SharedCache pods, Expectations expectations, ConcurrentDictionary<string, long> written, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!jobs.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var job) || ObjectKeys.IsDeleting(job))
        {
            expectations.Forget(key);
            written.TryRemove(key, out _);
            var liveUid = job is null ? null : ObjectKeys.Uid(job);
            var orphans = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && JobPods.HasFinalizer(p)
                && ControllerRef.Of(p) is { Kind: JobPods.Kind } owner && owner.Name == name && (liveUid is null || owner.Uid == liveUid));
            foreach (var pod in orphans)
            {
                await RemoveFinalizerAsync(context, pod, ct);
            }

            return;
        }

        if (written.TryGetValue(key, out var last) && ResourceVersion(job) < last)
        {
            return; // The cache has not caught up with our own status write; its update event brings the Job back.
        }

        // Read before the pods: a cache that has seen every pod this controller created or deleted is current enough
        // to plan from. Read after, an event arriving in between would pass a plan made without it (a second pod
        // created, or a pod deleted twice whose second deletion is never observed, stalling the Job for 5 minutes).
        var satisfied = expectations.Satisfied(key);
        var uid = ObjectKeys.Uid(job);
        var owned = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && ControllerRef.IsControlledBy(p, uid));
        var plan = JobPlanner.Plan(job, owned, context.Time.GetUtcNow());
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var mine = owned.Select(p => $"{ObjectKeys.Name(p)}:{PodState.Phase(p)}{(JobPods.HasFinalizer(p) ? "+f" : string.Empty)}{(ObjectKeys.IsDeleting(p) ? "+d" : string.Empty)}");
            Log.Planned(logger, key, ResourceVersion(job), plan.Status.ToJsonString(), string.Join(' ', mine), plan.Create.Count, string.Join(' ', plan.DeletePods), satisfied);
        }

        if (plan.StatusChanged)
        {
            var updated = job.DeepClone().AsObject();
            updated["status"] = plan.Status;
            var stored = await context.Api.PutAsync(ApiPaths.For(ApiPaths.Jobs, ns, name, "status"), updated, ct);
            written[key] = ResourceVersion(stored);
        }

        foreach (var podName in plan.RemoveFinalizers)
        {
            if (pods.Items.TryGetValue(ObjectKeys.CacheKey(ns, podName), out var pod))
            {
                await RemoveFinalizerAsync(context, pod, ct);
            }
        }

        if (satisfied && (plan.Create.Count > 0 || plan.DeletePods.Count > 0))
        {
            expectations.Expect(key, plan.Create.Count, plan.DeletePods.Count);
            await Task.WhenAll(plan.DeletePods.Select(pod => DeleteAsync(context, expectations, logger, job, key, pod, ct)));
            await Task.WhenAll(plan.Create.Select(index => CreateAsync(context, expectations, logger, job, key, index, ct)));
        }

        foreach (var e in plan.Events)
        {
            context.Events.Record(job, JobPods.ApiVersion, JobPods.Kind, Component, e.Type, e.Reason, e.Message);
            Log.Event(logger, key, e.Reason, e.Message);
        }

        if (plan.RequeueAfter is { } wait)
        {
            queue.AddAfter(key, wait + TimeSpan.FromMilliseconds(100));
        }
    }

    private static async Task RemoveFinalizerAsync(ControllerContext context, JsonObject pod, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = JobPods.FinalizersWithoutTracking(pod),
                ["resourceVersion"] = pod.Obj("metadata").Str("resourceVersion"),
            },
        };
        try
        {
            await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod)), patch, ct);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound)
        {
            // Gone already: nothing holds it.
        }
    }

    private static async Task CreateAsync(ControllerContext context, Expectations expectations, ILogger logger, JsonObject job, string key, int index, CancellationToken ct)
    {
        try
        {
            var created = await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(job)), JobPods.NewPod(job, index), ct);
            Log.Created(logger, key, ObjectKeys.Name(created));
            context.Events.Record(job, JobPods.ApiVersion, JobPods.Kind, Component, "Normal", "SuccessfulCreate", $"Created pod: {ObjectKeys.Name(created)}");
        }
        catch (ApiException e)
        {
            expectations.AddFailed(key);
            context.Events.Record(job, JobPods.ApiVersion, JobPods.Kind, Component, "Warning", "FailedCreate", $"Error creating: {e.Message}");
            throw;
        }
    }

    private static async Task DeleteAsync(ControllerContext context, Expectations expectations, ILogger logger, JsonObject job, string key, string pod, CancellationToken ct)
    {
        try
        {
            await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(job), pod), [], ct);
            Log.Deleted(logger, key, pod);
            context.Events.Record(job, JobPods.ApiVersion, JobPods.Kind, Component, "Normal", "SuccessfulDelete", $"Deleted pod: {pod}");
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

    private static long ResourceVersion(JsonObject obj) =>
        long.TryParse(obj.Obj("metadata").Str("resourceVersion"), NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4410, Level = LogLevel.Information, Message = "job {Key}: created pod {Pod}")]
        public static partial void Created(ILogger logger, string key, string pod);

        [LoggerMessage(EventId = 4411, Level = LogLevel.Information, Message = "job {Key}: deleted pod {Pod}")]
        public static partial void Deleted(ILogger logger, string key, string pod);

        [LoggerMessage(EventId = 4412, Level = LogLevel.Information, Message = "job {Key}: {Reason}: {Message}")]
        public static partial void Event(ILogger logger, string key, string reason, string message);

        [LoggerMessage(EventId = 4413, Level = LogLevel.Debug, Message = "job {Key} at {ResourceVersion}: status {Status}; pods {Pods}; create {Create}, delete [{Delete}], expectations satisfied {Satisfied}")]
        public static partial void Planned(ILogger logger, string key, long resourceVersion, string status, string pods, int create, string delete, bool satisfied);
    }
}
