using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.StatefulSets;

/// <summary>
/// What one StatefulSet sync decided: the update revision's ControllerRevision to create (or renumber), old ones to
/// prune, the pods to create (complete objects with fixed names), the pods to delete, the status to write when it
/// changed, and when to look again (a pod becoming available after minReadySeconds).
/// </summary>
internal sealed record StatefulSetPlan(
    JsonObject? RevisionToCreate,
    (string Name, long Number)? RevisionToRenumber,
    IReadOnlyList<string> RevisionsToDelete,
    IReadOnlyList<JsonObject> CreatePods,
    IReadOnlyList<string> DeletePods,
    JsonObject Status,
    bool StatusChanged,
    TimeSpan? RequeueAfter);
