using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Upstream's <c>ReplicaCalculator</c> for resource metrics, pure. The usage ratio (current over target) of the
/// ready pods' samples scales the ready pod count, rounded up, unless it is within tolerance. With pods missing
/// samples, or unready pods while scaling up, the ratio is computed again with missing pods at the target's
/// fallback (scaling down: 100% of request, or the target if higher; at the target value for AverageValue) or 0
/// (scaling up), and unready pods at 0; a second ratio within tolerance or on the other side of 1, or a result
/// moving the other way, keeps the current count.
/// </summary>
internal static class ReplicaCalculator
{
    /// <summary>Replicas for a Utilization target: percent of the pods' summed requests (<c>GetResourceReplicas</c>).</summary>
    public static ReplicaProposal Utilization(
        int currentReplicas, int targetUtilization, string resource, string container, Tolerances tolerances,
        IReadOnlyList<JsonObject> pods, ResourceMetricsResponse response, AutoscalerSettings settings, DateTimeOffset now)
    {
        var (metrics, groups, error) = Sample(pods, response, resource, container, settings, now);
        if (error is not null)
        {
            return ReplicaProposal.Failed(error);
        }

        var (requests, requestError) = ResourceRequests.Of(pods, container, resource);
        if (requests is null)
        {
            return ReplicaProposal.Failed(requestError!);
        }

        if (UtilizationRatio(metrics!, requests, targetUtilization) is not { } first)
        {
            return ReplicaProposal.Failed("no metrics returned matched known pods");
        }

        var (ratio, utilization, raw) = first;
        if (!NeedsRebalance(groups!, ratio))
        {
            return new ReplicaProposal(tolerances.IsWithin(ratio) ? currentReplicas : Ceiling(ratio * groups!.ReadyCount), utilization, raw, null);
        }

        // Scaling down, a pod without a sample counts as using all it requests (or the target, if above 100%).
        var fallback = Math.Max(100L, targetUtilization);
        FillForRebalance(metrics!, groups!, ratio, name => new PodMetric(requests[name] * fallback / 100, default, default));
        if (UtilizationRatio(metrics!, requests, targetUtilization) is not { } second)
        {
            return ReplicaProposal.Failed("no metrics returned matched known pods");
        }

        return new ReplicaProposal(Rebalanced(currentReplicas, ratio, second.Ratio, metrics!.Count, tolerances), utilization, raw, null);
    }

    /// <summary>Replicas for an AverageValue target in milli-units (<c>GetRawResourceReplicas</c>).</summary>
    public static ReplicaProposal AverageValue(
        int currentReplicas, long targetMilli, string resource, string container, Tolerances tolerances,
        IReadOnlyList<JsonObject> pods, ResourceMetricsResponse response, AutoscalerSettings settings, DateTimeOffset now)
    {
        var (metrics, groups, error) = Sample(pods, response, resource, container, settings, now);
        if (error is not null)
        {
            return ReplicaProposal.Failed(error);
        }

        var (ratio, usage) = UsageRatio(metrics!, targetMilli);
        if (!NeedsRebalance(groups!, ratio))
        {
            return new ReplicaProposal(tolerances.IsWithin(ratio) ? currentReplicas : Ceiling(ratio * groups!.ReadyCount), 0, usage, null);
        }

        // Scaling down, a pod without a sample counts as using exactly the target.
        FillForRebalance(metrics!, groups!, ratio, _ => new PodMetric(targetMilli, default, default));
        var (newRatio, _) = UsageRatio(metrics!, targetMilli);
        return new ReplicaProposal(Rebalanced(currentReplicas, ratio, newRatio, metrics!.Count, tolerances), 0, usage, null);
    }

    /// <summary>
    /// The ready pods' samples, with the pods grouped: the fetch, the selector's pods and at least one ready sample
    /// are required, as upstream's first steps of both calculations require them.
    /// </summary>
    private static (Dictionary<string, PodMetric>? Metrics, PodGroups? Groups, string? Error) Sample(
        IReadOnlyList<JsonObject> pods, ResourceMetricsResponse response, string resource, string container, AutoscalerSettings settings, DateTimeOffset now)
    {
        var (fetched, fetchError) = ResourceMetrics.Read(response, resource, container);
        if (fetched is null)
        {
            return (null, null, $"unable to get metrics for resource {resource}: {fetchError}");
        }

        if (pods.Count == 0)
        {
            return (null, null, "no pods returned by selector while calculating replica count");
        }

        var metrics = new Dictionary<string, PodMetric>(fetched, StringComparer.Ordinal);
        var groups = PodGroups.Of(pods, metrics, resource, settings, now);
        RemoveAll(metrics, groups.Ignored);
        RemoveAll(metrics, groups.Unready);
        return metrics.Count == 0
            ? (null, null, "did not receive metrics for targeted pods (pods might be unready)")
            : (metrics, groups, null);
    }

    /// <summary>Whether the first ratio must be checked again: some pods lack samples, or unready pods were left out of a scale-up.</summary>
    private static bool NeedsRebalance(PodGroups groups, double ratio) => groups.Missing.Count > 0 || (groups.Unready.Count > 0 && ratio > 1.0);

    /// <summary>
    /// Upstream's second pass: a pod without a sample counts as <paramref name="whenScalingDown"/> when scaling down
    /// and as using nothing when scaling up; unready pods count as using nothing when scaling up.
    /// </summary>
    private static void FillForRebalance(Dictionary<string, PodMetric> metrics, PodGroups groups, double ratio, Func<string, PodMetric> whenScalingDown)
    {
        foreach (var name in groups.Missing)
        {
            if (ratio < 1.0)
            {
                metrics[name] = whenScalingDown(name);
            }
            else if (ratio > 1.0)
            {
                metrics[name] = default;
            }
        }

        if (groups.Unready.Count > 0 && ratio > 1.0)
        {
            foreach (var name in groups.Unready)
            {
                metrics[name] = default;
            }
        }
    }

    /// <summary>
    /// Upstream's <c>GetResourceUtilizationRatio</c>: samples of pods with a known request, summed against those
    /// requests as a whole percentage (rounded down); null when no sample matches a request.
    /// </summary>
    internal static (double Ratio, int Utilization, long RawAverage)? UtilizationRatio(IReadOnlyDictionary<string, PodMetric> metrics, IReadOnlyDictionary<string, long> requests, int targetUtilization)
    {
        long usage = 0;
        long requested = 0;
        var entries = 0;
        foreach (var (name, metric) in metrics)
        {
            if (requests.TryGetValue(name, out var request))
            {
                usage += metric.Value;
                requested += request;
                entries++;
            }
        }

        if (requested == 0)
        {
            return null;
        }

        var utilization = (int)(usage * 100 / requested);
        return ((double)utilization / targetUtilization, utilization, usage / entries);
    }

    /// <summary>Upstream's <c>GetMetricUsageRatio</c>: the samples' average (rounded down) over the target.</summary>
    internal static (double Ratio, long Usage) UsageRatio(IReadOnlyDictionary<string, PodMetric> metrics, long target)
    {
        var usage = metrics.Values.Sum(m => m.Value) / metrics.Count;
        return ((double)usage / target, usage);
    }

    private static int Rebalanced(int currentReplicas, double ratio, double newRatio, int counted, Tolerances tolerances)
    {
        if (tolerances.IsWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0))
        {
            return currentReplicas;
        }

        var replicas = Ceiling(newRatio * counted);
        return (newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas) ? currentReplicas : replicas;
    }

    private static int Ceiling(double value) => value >= int.MaxValue ? int.MaxValue : (int)Math.Ceiling(value);

    private static void RemoveAll(Dictionary<string, PodMetric> metrics, IReadOnlySet<string> names)
    {
        foreach (var name in names)
        {
            metrics.Remove(name);
        }
    }
}
