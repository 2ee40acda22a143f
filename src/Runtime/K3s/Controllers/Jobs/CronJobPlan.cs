using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>
/// What one CronJob sync decided: the Jobs to delete (Replace policy, history limits), the Job to create for the
/// schedule time now due (its reference goes into <c>status.active</c> once created), the status to write, the
/// events to record, and when the next schedule time comes (the only reason to look again).
/// </summary>
internal sealed record CronJobPlan(
    JsonObject Status,
    bool StatusChanged,
    JsonObject? CreateJob,
    IReadOnlyList<string> DeleteJobs,
    IReadOnlyList<JobEvent> Events,
    TimeSpan? RequeueAfter);
