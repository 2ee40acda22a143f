using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// What one Job sync decided: the status to write first (when it changed), then the pods whose tracking finalizer
/// may go (their outcome is recorded in that status), the completion indexes to create pods for (-1 for a
/// NonIndexed pod), the pods to delete, the events to record, and when to look again (a backoff or a deadline).
/// </summary>
internal sealed record JobPlan(
    JsonObject Status,
    bool StatusChanged,
    IReadOnlyList<string> RemoveFinalizers,
    IReadOnlyList<int> Create,
    IReadOnlyList<string> DeletePods,
    IReadOnlyList<JobEvent> Events,
    TimeSpan? RequeueAfter);

/// <summary>An event about the Job: <c>Normal</c> or <c>Warning</c>, a reason and a message.</summary>
internal sealed record JobEvent(string Type, string Reason, string Message);
