using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// What all of an HPA's metrics propose together (upstream's <c>computeReplicasForMetrics</c>): the highest
/// proposal and the metric that made it, each metric's status (<c>{"type": ""}</c> for one that failed), and the
/// error of the first failing metric. <see cref="Failed"/> means nothing may be scaled: every metric failed, or
/// some did and the rest would scale down (or the selector is missing or invalid).
/// </summary>
internal sealed record MetricsOutcome(int Replicas, string Metric, JsonArray? Statuses, string? Error, bool Failed);
