using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// The horizontal-pod-autoscaler controller's decisions (upstream's <c>reconcileAutoscaler</c>), pure: from the HPA,
/// its target's Scale, the namespace's pods, the resource metrics answer, the HPA's history and the time, the
/// replica count to set, the status (currentReplicas, desiredReplicas, currentMetrics, conditions, lastScaleTime)
/// and the events. A target scaled to 0 is left alone (ScalingDisabled) unless minReplicas is 0; one outside
/// [minReplicas, maxReplicas] is brought inside without looking at metrics; otherwise the metrics' proposal is
/// stabilized and limited (<see cref="ReplicaNormalizer"/>). The history is updated in place.
/// </summary>
internal static class AutoscalerPlanner
{
    public const string ApiVersion = "autoscaling/v2";
    public const string Kind = "HorizontalPodAutoscaler";

    /// <summary>The target's scale could not be read (<paramref name="error"/>): AbleToScale=False, FailedGetScale.</summary>
    public static AutoscalerPlan ScaleUnavailable(JsonObject hpa, string error, string syncError, DateTimeOffset now)
    {
        var stored = hpa.Obj("status");
        var status = stored?.DeepClone().AsObject() ?? [];
        var conditions = (status.Arr("conditions")?.DeepClone() as JsonArray) ?? [];
        HpaConditions.Set(conditions, HpaConditions.AbleToScale, false, "FailedGetScale", $"the HPA controller was unable to get the target's current scale: {error}", now);
        status["conditions"] = conditions;
        return new AutoscalerPlan(status, !JsonNode.DeepEquals(stored ?? [], status), null, [AutoscalerEvent.Warning("FailedGetScale", error)], syncError);
    }

    /// <summary>Plans a sync of <paramref name="hpa"/> whose target's Scale is <paramref name="scale"/>.</summary>
    public static AutoscalerPlan Plan(
        JsonObject hpa, ScaleState scale, IReadOnlyList<JsonObject> namespacePods, ResourceMetricsResponse metrics,
        AutoscalerHistory history, AutoscalerSettings settings, DateTimeOffset now)
    {
        var spec = hpa.Obj("spec");
        var events = new List<AutoscalerEvent>();
        var conditions = (hpa.Obj("status").Arr("conditions")?.DeepClone() as JsonArray) ?? [];
        var reference = $"{spec.Obj("scaleTargetRef").Str("kind")}/{ObjectKeys.Namespace(hpa)}/{spec.Obj("scaleTargetRef").Str("name")}";
        HpaConditions.Set(conditions, HpaConditions.AbleToScale, true, "SucceededGetScale", "the HPA controller was able to get the target's current scale", now);

        var current = scale.SpecReplicas;
        if (history.Recommendations.Count == 0)
        {
            history.Recommendations.Add(new TimestampedRecommendation(current, now));
        }

        var min = (int)(spec.Long("minReplicas") ?? 1);
        var max = (int)(spec.Long("maxReplicas") ?? 0);
        var behavior = spec.Obj("behavior");
        var up = behavior is null ? null : ScalingRules.ScaleUp(behavior);
        var down = behavior is null ? null : ScalingRules.ScaleDown(behavior, settings.DownscaleStabilization);
        var tolerances = new Tolerances(down?.Tolerance ?? settings.Tolerance, up?.Tolerance ?? settings.Tolerance);

        var desired = 0;
        var reason = string.Empty;
        var rescale = true;
        JsonArray? statuses = null;
        string? error = null;
        if (current == 0 && min != 0)
        {
            rescale = false;
            HpaConditions.Set(conditions, HpaConditions.ScalingActive, false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now);
        }
        else if (current > max)
        {
            reason = "Current number of replicas above Spec.MaxReplicas";
            desired = max;
        }
        else if (current < min)
        {
            reason = "Current number of replicas below Spec.MinReplicas";
            desired = min;
        }
        else
        {
            var outcome = MetricEvaluator.Evaluate(hpa, scale, namespacePods, metrics, tolerances, settings, conditions, events, now);
            if (outcome.Failed)
            {
                var failed = Status(hpa, current, StoredDesired(hpa), StoredLastScaleTime(hpa), outcome.Statuses, conditions);
                events.Add(AutoscalerEvent.Warning("FailedComputeMetricsReplicas", outcome.Error ?? string.Empty));
                return Final(hpa, failed, events, $"failed to compute desired number of replicas based on listed metrics for {reference}: {outcome.Error}");
            }

            error = outcome.Error;
            statuses = outcome.Statuses;
            var metric = string.Empty;
            if (outcome.Replicas > desired)
            {
                desired = outcome.Replicas;
                metric = outcome.Metric;
            }

            if (desired > current)
            {
                reason = $"{metric} above target";
            }

            if (desired < current)
            {
                reason = "All metrics below target";
            }

            desired = up is null || down is null
                ? ReplicaNormalizer.Normalize(conditions, history, settings.DownscaleStabilization, current, desired, min, max, now)
                : ReplicaNormalizer.NormalizeWithBehaviors(conditions, history, up, down, current, desired, min, max, now);
            rescale = desired != current;
        }

        if (rescale)
        {
            var pending = new PendingRescale(hpa, conditions, current, desired, reason, statuses, up, down, reference);
            return new AutoscalerPlan(Status(hpa, current, desired, StoredLastScaleTime(hpa), statuses, conditions), true, desired, events, error) { Pending = pending };
        }

        return Final(hpa, Status(hpa, current, current, StoredLastScaleTime(hpa), statuses, conditions), events, error);
    }

    /// <summary>The rescale was written: AbleToScale=True (SucceededRescale), SuccessfulRescale, lastScaleTime now.</summary>
    public static AutoscalerPlan Rescaled(AutoscalerPlan plan, AutoscalerHistory history, DateTimeOffset now)
    {
        var p = plan.Pending ?? throw new InvalidOperationException("The plan has no rescale to settle.");
        HpaConditions.Set(p.Conditions, HpaConditions.AbleToScale, true, "SucceededRescale", $"the HPA controller was able to update the target scale to {p.Desired}", now);
        ReplicaNormalizer.RecordScale(history, p.Up, p.Down, p.Current, p.Desired, now);
        var events = plan.Events.Append(AutoscalerEvent.Normal("SuccessfulRescale", $"New size: {p.Desired}; reason: {p.Reason}")).ToList();
        return Final(p.Hpa, Status(p.Hpa, p.Current, p.Desired, PodState.Stamp(now), p.Statuses, p.Conditions), events, plan.Error);
    }

    /// <summary>Writing the rescale failed with <paramref name="error"/>: AbleToScale=False (FailedUpdateScale), FailedRescale.</summary>
    public static AutoscalerPlan RescaleFailed(AutoscalerPlan plan, string error, DateTimeOffset now)
    {
        var p = plan.Pending ?? throw new InvalidOperationException("The plan has no rescale to settle.");
        var events = plan.Events.Append(AutoscalerEvent.Warning("FailedRescale", $"New size: {p.Desired}; reason: {p.Reason}; error: {error}")).ToList();
        HpaConditions.Set(p.Conditions, HpaConditions.AbleToScale, false, "FailedUpdateScale", $"the HPA controller was unable to update the target scale: {error}", now);
        var status = Status(p.Hpa, p.Current, StoredDesired(p.Hpa), StoredLastScaleTime(p.Hpa), p.Statuses, p.Conditions);
        return Final(p.Hpa, status, events, $"failed to rescale {p.Reference}: {error}");
    }

    /// <summary>The status upstream's <c>setStatus</c> builds, with observedGeneration.</summary>
    private static JsonObject Status(JsonObject hpa, int current, int desired, string? lastScaleTime, JsonArray? statuses, JsonArray conditions)
    {
        var status = new JsonObject();
        if (ObjectKeys.Generation(hpa) is > 0 and var generation)
        {
            status["observedGeneration"] = generation;
        }

        if (lastScaleTime is not null)
        {
            status["lastScaleTime"] = lastScaleTime;
        }

        status["currentReplicas"] = current;
        status["desiredReplicas"] = desired;
        if (statuses is not null)
        {
            status["currentMetrics"] = statuses.DeepClone();
        }

        status["conditions"] = conditions.DeepClone();
        return status;
    }

    private static AutoscalerPlan Final(JsonObject hpa, JsonObject status, IReadOnlyList<AutoscalerEvent> events, string? error) =>
        new(status, !JsonNode.DeepEquals(hpa.Obj("status") ?? [], status), null, events, error);

    private static int StoredDesired(JsonObject hpa) => (int)(hpa.Obj("status").Long("desiredReplicas") ?? 0);

    private static string? StoredLastScaleTime(JsonObject hpa) => hpa.Obj("status").Str("lastScaleTime");
}
