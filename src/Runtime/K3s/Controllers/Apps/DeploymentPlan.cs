using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>What the deployment planner is given: the Deployment, the ReplicaSets it controls and their pods, and the time.</summary>
internal sealed record DeploymentInputs(JsonObject Deployment, IReadOnlyList<JsonObject> ReplicaSets, IReadOnlyList<JsonObject> Pods, DateTimeOffset Now);

/// <summary>A ReplicaSet write with the <c>ScalingReplicaSet</c> event message to record once it succeeded (null: no event).</summary>
internal sealed record ReplicaSetWrite(JsonObject ReplicaSet, string? Event);

/// <summary>
/// One sync's decisions for a Deployment, applied by the host in this order, stopping at the first failure (the
/// next sync starts again from what the caches then show): <see cref="Create"/> the new ReplicaSet (a name taken by a
/// different template is a hash collision: raise <c>status.collisionCount</c> instead of anything else); PUT each of
/// <see cref="Updates"/> (each carries the resourceVersion it was planned from, so a stale plan fails with a
/// conflict); delete <see cref="Deletes"/> (old revisions beyond revisionHistoryLimit); set the Deployment's
/// revision annotation to <see cref="Revision"/> when not null; write <see cref="Status"/> when not null; record
/// <see cref="Events"/>; and sync again after <see cref="RequeueAfter"/> when set (progress deadline).
/// </summary>
internal sealed record DeploymentPlan(
    ReplicaSetWrite? Create,
    IReadOnlyList<ReplicaSetWrite> Updates,
    IReadOnlyList<JsonObject> Deletes,
    string? Revision,
    JsonObject? Status,
    IReadOnlyList<(string Type, string Reason, string Message)> Events,
    TimeSpan? RequeueAfter);
