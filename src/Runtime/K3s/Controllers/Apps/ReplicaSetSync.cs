using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// One ReplicaSet's reconcile (upstream's syncReplicaSet): claim pods, create or delete the difference (only when the
/// cache has caught up with the previous writes, so a lagging cache never doubles them), then write the status.
/// Safe for concurrent reconciles of different keys; the work queue never hands one key to two workers.
/// </summary>
internal sealed partial class ReplicaSetSync(ControllerContext context, SharedCache pods, SharedCache sets, Expectations expectations, ILogger logger)
{
    private const string ApiVersion = "apps/v1";
    private const string Kind = "ReplicaSet";

    public async Task ReconcileAsync(string key, WorkQueue queue, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!sets.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var set))
        {
            expectations.Forget(key);
            return;
        }

        var active = await ClaimAsync(set, ct);
        ApiException? failure = null;
        (string Reason, string Message)? condition = null;
        if (expectations.Satisfied(key) && !ObjectKeys.IsDeleting(set))
        {
            var decision = ReplicaSetPlanner.Plan(set["spec"]?["replicas"]?.GetValue<long>() ?? 1, active);
            try
            {
                if (decision.Create > 0)
                {
                    await CreateAsync(key, set, decision.Create, ct);
                }
                else if (decision.Delete.Count > 0)
                {
                    await DeleteAsync(key, set, decision.Delete, ct);
                }
            }
            catch (ApiException e)
            {
                failure = e;
                condition = (decision.Create > 0 ? "FailedCreate" : "FailedDelete", e.Message);
            }
        }

        var now = context.Time.GetUtcNow();
        var status = ReplicaSetStatus.Compute(set, active, condition, now);
        if (!ReplicaSetStatus.Same(set["status"] as JsonObject, status))
        {
            var body = (JsonObject)set.DeepClone();
            body["status"] = status;
            try
            {
                await context.Api.PutAsync(ApiPaths.For(ApiPaths.ReplicaSets, ns, name, "status"), body, ct);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                return;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        var minReady = (int)(set["spec"]?["minReadySeconds"]?.GetValue<long>() ?? 0);
        if (ReplicaSetStatus.NextAvailabilityCheck(active, minReady, now) is { } wait)
        {
            queue.AddAfter(key, wait);
        }
    }

    /// <summary>Adopts matching orphans and releases pods that stopped matching; returns the active pods the set controls.</summary>
    private async Task<List<JsonObject>> ClaimAsync(JsonObject set, CancellationToken ct)
    {
        var ns = ObjectKeys.Namespace(set);
        var selector = PodTemplates.Selector(set["spec"]?["selector"] as JsonObject);
        var candidates = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && PodState.IsActive(p));
        var claims = OwnerClaims.Of(ObjectKeys.Uid(set), ObjectKeys.IsDeleting(set), selector, candidates);
        var owned = claims.Owned.ToList();
        foreach (var pod in claims.Adopt)
        {
            if (await PatchOwnersAsync(pod, OwnerClaims.AdoptPatch(pod, ControllerRef.For(set, ApiVersion, Kind)), ct) is { } adopted)
            {
                owned.Add(adopted);
            }
        }

        foreach (var pod in claims.Release)
        {
            await PatchOwnersAsync(pod, OwnerClaims.ReleasePatch(pod, ObjectKeys.Uid(set)), ct);
        }

        return owned;
    }

    private async Task<JsonObject?> PatchOwnersAsync(JsonObject pod, JsonObject patch, CancellationToken ct)
    {
        try
        {
            return await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod)), patch, ct);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
        {
            // Gone, changed meanwhile (the next sync looks again) or claimed by someone else.
            Log.ClaimFailed(logger, ObjectKeys.Of(pod), e.Message);
            return null;
        }
    }

    /// <summary>Creates <paramref name="count"/> pods in slow-start batches; a failed batch ends the burst and is rethrown.</summary>
    private async Task CreateAsync(string key, JsonObject set, int count, CancellationToken ct)
    {
        Log.Creating(logger, key, count);
        expectations.Expect(key, count, 0);
        var remaining = count;
        foreach (var batch in ReplicaSetPlanner.SlowStartBatches(count))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => CreateOneAsync(key, set, ct)));
            remaining -= batch;
            if (results.FirstOrDefault(r => r is not null) is { } error)
            {
                // The pods of later batches are never sent: they will not be observed either.
                for (var i = 0; i < remaining; i++)
                {
                    expectations.AddFailed(key);
                }

                throw error;
            }
        }
    }

    private async Task<ApiException?> CreateOneAsync(string key, JsonObject set, CancellationToken ct)
    {
        var pod = PodTemplates.NewPod(set, ApiVersion, Kind, set["spec"]?["template"] as JsonObject, ObjectKeys.Name(set) + "-");
        try
        {
            var created = await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(set)), pod, ct);
            context.Events.Record(set, ApiVersion, Kind, ReplicaSetController.Component, "Normal", "SuccessfulCreate", $"Created pod: {ObjectKeys.Name(created)}");
            return null;
        }
        catch (ApiException e)
        {
            expectations.AddFailed(key);
            context.Events.Record(set, ApiVersion, Kind, ReplicaSetController.Component, "Warning", "FailedCreate", $"Error creating: {e.Message}");
            return e;
        }
    }

    private async Task DeleteAsync(string key, JsonObject set, IReadOnlyList<JsonObject> victims, CancellationToken ct)
    {
        Log.Deleting(logger, key, victims.Count);
        expectations.Expect(key, 0, victims.Count);
        var results = await Task.WhenAll(victims.Select(async pod =>
        {
            try
            {
                await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod)), new JsonObject(), ct);
                context.Events.Record(set, ApiVersion, Kind, ReplicaSetController.Component, "Normal", "SuccessfulDelete", $"Deleted pod: {ObjectKeys.Name(pod)}");
                return null;
            }
            catch (ApiException e)
            {
                expectations.DeleteFailed(key);
                context.Events.Record(set, ApiVersion, Kind, ReplicaSetController.Component, "Warning", "FailedDelete", $"Error deleting: {e.Message}");
                return e;
            }
        }));
        if (results.FirstOrDefault(r => r is not null) is { } error)
        {
            throw error;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "ReplicaSet {Key}: creating {Count} pods")]
        public static partial void Creating(ILogger logger, string key, int count);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "ReplicaSet {Key}: deleting {Count} pods")]
        public static partial void Deleting(ILogger logger, string key, int count);

        [LoggerMessage(EventId = 4203, Level = LogLevel.Debug, Message = "Changing the owners of pod {Pod} failed, the next sync looks again: {Reason}")]
        public static partial void ClaimFailed(ILogger logger, string pod, string reason);
    }
}
