using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>
/// What one PodDisruptionBudget sync decided: the status to write (only when <see cref="StatusChanged"/>), the events
/// to record, when to look again (the earliest moment a disrupted pod's entry expires; only once the status is
/// written), and the error that made this a fail-safe status, if any (for the log).
/// </summary>
internal sealed record DisruptionPlan(
    JsonObject Status,
    bool StatusChanged,
    IReadOnlyList<DisruptionEvent> Events,
    TimeSpan? RecheckAfter,
    string? Error);

/// <summary>An event the sync asks for: about the budget, or about <see cref="Pod"/> when it is set.</summary>
internal sealed record DisruptionEvent(JsonObject? Pod, string Type, string Reason, string Message);

/// <summary>
/// The workload of a kind (<c>ReplicaSet</c>, <c>Deployment</c>, <c>StatefulSet</c>, <c>ReplicationController</c>)
/// by namespace and name, or null when there is none; the controller answers from its caches, tests from a table.
/// </summary>
internal delegate JsonObject? WorkloadLookup(string kind, string ns, string name);
