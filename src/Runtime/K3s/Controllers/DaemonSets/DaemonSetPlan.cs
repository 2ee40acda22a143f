using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.DaemonSets;

/// <summary>
/// What one DaemonSet sync decided: the ControllerRevision writes (the current template's revision created or
/// renumbered, old ones pruned), the nodes that get a new pod of the current revision, the pods to delete, the
/// status to write when it changed, and when to look again (a pod becoming available after minReadySeconds).
/// </summary>
internal sealed record DaemonSetPlan(
    string Hash,
    JsonObject? RevisionToCreate,
    (string Name, long Number)? RevisionToRenumber,
    IReadOnlyList<string> RevisionsToDelete,
    IReadOnlyList<string> CreateOnNodes,
    IReadOnlyList<string> DeletePods,
    JsonObject Status,
    bool StatusChanged,
    TimeSpan? RequeueAfter);
