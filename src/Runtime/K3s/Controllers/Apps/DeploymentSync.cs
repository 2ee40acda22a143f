using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// One Deployment's reconcile: claims its ReplicaSets, asks <see cref="DeploymentPlanner"/> for the sync's writes and
/// applies them in the plan's order. Every write carries the resourceVersion it was planned from, so a plan made from
/// a cache that lags behind fails with a conflict and is made again, never applied stale.
/// </summary>
internal sealed partial class DeploymentSync(ControllerContext context, SharedCache deployments, SharedCache sets, SharedCache pods, ILogger logger)
{
    private const string ApiVersion = "apps/v1";

    public async Task ReconcileAsync(string key, WorkQueue queue, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!deployments.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var deployment))
        {
            return;
        }

        var owned = await ClaimAsync(deployment, ct);
        var uids = owned.Select(ObjectKeys.Uid).ToHashSet(StringComparer.Ordinal);
        var podsOfSets = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns && ControllerRef.Of(p) is { } o && uids.Contains(o.Uid)).ToList();
        var plan = DeploymentPlanner.Plan(new DeploymentInputs(deployment, owned, podsOfSets, context.Time.GetUtcNow()));
        Log.Planned(logger, key, plan.Create is not null, plan.Updates.Count, plan.Deletes.Count, plan.Status is not null);

        if (plan.Create is { } create && !await CreateAsync(deployment, create, ct))
        {
            return;
        }

        foreach (var update in plan.Updates)
        {
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.ReplicaSets, ns, ObjectKeys.Name(update.ReplicaSet)), update.ReplicaSet, ct);
            Record(deployment, update.Event);
        }

        foreach (var old in plan.Deletes)
        {
            var options = new JsonObject { ["preconditions"] = new JsonObject { ["uid"] = ObjectKeys.Uid(old) } };
            await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.ReplicaSets, ns, ObjectKeys.Name(old)), options, ct);
            Log.DeletedRevision(logger, key, ObjectKeys.Name(old));
        }

        var latest = deployment;
        if (plan.Revision is { } revision)
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [DeploymentFacts.RevisionAnnotation] = revision },
                    ["resourceVersion"] = deployment["metadata"]?["resourceVersion"]?.DeepClone(),
                },
            };
            latest = await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.Deployments, ns, name), patch, ct);
        }

        if (plan.Status is { } status)
        {
            var body = (JsonObject)latest.DeepClone();
            body["status"] = status;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.Deployments, ns, name, "status"), body, ct);
        }

        foreach (var (type, reason, message) in plan.Events)
        {
            context.Events.Record(deployment, ApiVersion, "Deployment", DeploymentController.Component, type, reason, message);
        }

        if (plan.RequeueAfter is { } after)
        {
            queue.AddAfter(key, after);
        }
    }

    /// <summary>Creates the new ReplicaSet; returns false when the rest of the plan must wait (its name was taken).</summary>
    private async Task<bool> CreateAsync(JsonObject deployment, ReplicaSetWrite create, CancellationToken ct)
    {
        var ns = ObjectKeys.Namespace(deployment);
        try
        {
            await context.Api.CreateAsync(ApiPaths.For(ApiPaths.ReplicaSets, ns), create.ReplicaSet, ct);
            Record(deployment, create.Event);
            return true;
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
        {
            var existing = await context.Api.GetAsync(ApiPaths.For(ApiPaths.ReplicaSets, ns, ObjectKeys.Name(create.ReplicaSet)), ct);
            if (existing is not null && ControllerRef.IsControlledBy(existing, ObjectKeys.Uid(deployment))
                && DeploymentFacts.SameTemplate(existing["spec"]?["template"] as JsonObject, deployment["spec"]?["template"] as JsonObject))
            {
                // Ours, made by an earlier sync the cache has not shown yet: its event will queue the next sync.
                return false;
            }

            // Another template hashed to the same name: count the collision, which changes the next hash.
            var collisions = (deployment["status"]?["collisionCount"]?.GetValue<long>() ?? 0) + 1;
            Log.HashCollision(logger, ObjectKeys.Of(deployment), ObjectKeys.Name(create.ReplicaSet), collisions);
            var body = (JsonObject)deployment.DeepClone();
            var status = body["status"] as JsonObject ?? (JsonObject)(body["status"] = new JsonObject());
            status["collisionCount"] = collisions;
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.Deployments, ns, ObjectKeys.Name(deployment), "status"), body, ct);
            return false;
        }
    }

    /// <summary>Adopts orphan ReplicaSets that match the selector and releases those that stopped matching; returns the ones it controls.</summary>
    private async Task<List<JsonObject>> ClaimAsync(JsonObject deployment, CancellationToken ct)
    {
        var ns = ObjectKeys.Namespace(deployment);
        var selector = PodTemplates.Selector(deployment["spec"]?["selector"] as JsonObject);
        var uid = ObjectKeys.Uid(deployment);
        var claims = OwnerClaims.Of(uid, ObjectKeys.IsDeleting(deployment), selector, sets.Items.Values.Where(s => ObjectKeys.Namespace(s) == ns));
        var owned = claims.Owned.ToList();
        foreach (var set in claims.Adopt)
        {
            if (await PatchOwnersAsync(set, OwnerClaims.AdoptPatch(set, ControllerRef.For(deployment, ApiVersion, "Deployment")), ct) is { } adopted)
            {
                owned.Add(adopted);
            }
        }

        foreach (var set in claims.Release)
        {
            await PatchOwnersAsync(set, OwnerClaims.ReleasePatch(set, uid), ct);
        }

        return owned;
    }

    private async Task<JsonObject?> PatchOwnersAsync(JsonObject set, JsonObject patch, CancellationToken ct)
    {
        try
        {
            return await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.ReplicaSets, ObjectKeys.Namespace(set), ObjectKeys.Name(set)), patch, ct);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
        {
            Log.ClaimFailed(logger, ObjectKeys.Of(set), e.Message);
            return null;
        }
    }

    private void Record(JsonObject deployment, string? message)
    {
        if (message is not null)
        {
            context.Events.Record(deployment, ApiVersion, "Deployment", DeploymentController.Component, "Normal", "ScalingReplicaSet", message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4220, Level = LogLevel.Debug, Message = "Deployment {Key}: create {Create}, {Updates} ReplicaSet updates, {Deletes} deletions, status changed {Status}")]
        public static partial void Planned(ILogger logger, string key, bool create, int updates, int deletes, bool status);

        [LoggerMessage(EventId = 4221, Level = LogLevel.Information, Message = "Deployment {Key}: deleted old revision {ReplicaSet} (beyond revisionHistoryLimit)")]
        public static partial void DeletedRevision(ILogger logger, string key, string replicaSet);

        [LoggerMessage(EventId = 4222, Level = LogLevel.Warning, Message = "Deployment {Key}: ReplicaSet name {ReplicaSet} is taken by another template; collisionCount is now {Count}")]
        public static partial void HashCollision(ILogger logger, string key, string replicaSet, long count);

        [LoggerMessage(EventId = 4223, Level = LogLevel.Debug, Message = "Changing the owners of ReplicaSet {ReplicaSet} failed, the next sync looks again: {Reason}")]
        public static partial void ClaimFailed(ILogger logger, string replicaSet, string reason);
    }
}
