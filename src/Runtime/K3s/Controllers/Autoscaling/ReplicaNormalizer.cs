using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Turns the metrics' proposal into the replica count to set, as upstream's <c>horizontal.go</c> does, and sets
/// AbleToScale (ReadyForNewScale, ScaleUpStabilized, ScaleDownStabilized) and ScalingLimited on the way. Without
/// <c>spec.behavior</c>: the highest recommendation of the downscale stabilization window, then
/// [minReplicas, min(maxReplicas, max(2 × current, 4))]. With it: the recommendation is held between the lowest
/// recommendation of the scale-up window and the highest of the scale-down window, then limited by the rules'
/// policies over the scale events of each policy's period, and by min/max. Every proposal is remembered.
/// </summary>
internal static partial class ReplicaNormalizer
{
    private const double ScaleUpLimitFactor = 2.0;
    private const double ScaleUpLimitMinimum = 4.0;

    /// <summary>Upstream's <c>normalizeDesiredReplicas</c> (no <c>spec.behavior</c>).</summary>
    public static int Normalize(JsonArray conditions, AutoscalerHistory history, TimeSpan downscaleWindow, int current, int proposed, int min, int max, DateTimeOffset now)
    {
        var stabilized = StabilizeDown(history, downscaleWindow, proposed, now);
        if (stabilized != proposed)
        {
            HpaConditions.Set(conditions, HpaConditions.AbleToScale, true, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation", now);
        }
        else
        {
            HpaConditions.Set(conditions, HpaConditions.AbleToScale, true, "ReadyForNewScale", "recommended size matches current size", now);
        }

        var (desired, reason, message) = WithRules(current, stabilized, min, max);
        HpaConditions.Set(conditions, HpaConditions.ScalingLimited, desired != stabilized, reason, message, now);
        return desired;
    }

    /// <summary>Upstream's <c>normalizeDesiredReplicasWithBehaviors</c>.</summary>
    public static int NormalizeWithBehaviors(JsonArray conditions, AutoscalerHistory history, ScalingRules up, ScalingRules down, int current, int proposed, int min, int max, DateTimeOffset now)
    {
        var (stabilized, stabilizedReason, stabilizedMessage) = Stabilize(history, up, down, current, proposed, now);
        if (stabilized != proposed)
        {
            HpaConditions.Set(conditions, HpaConditions.AbleToScale, true, stabilizedReason, stabilizedMessage, now);
        }
        else
        {
            HpaConditions.Set(conditions, HpaConditions.AbleToScale, true, "ReadyForNewScale", "recommended size matches current size", now);
        }

        var (desired, reason, message) = WithBehaviorRate(history, up, down, current, stabilized, min, max, now);
        HpaConditions.Set(conditions, HpaConditions.ScalingLimited, desired != stabilized, reason, message, now);
        return desired;
    }

    /// <summary>
    /// Upstream's <c>stabilizeRecommendationWithBehaviors</c>: the current count held between the lowest
    /// recommendation newer than the scale-up window and the highest newer than the scale-down window (the
    /// proposal included); the proposal is recorded, in the slot of one older than both windows if there is one.
    /// </summary>
    internal static (int Replicas, string Reason, string Message) Stabilize(AutoscalerHistory history, ScalingRules up, ScalingRules down, int current, int proposed, DateTimeOffset now)
    {
        var upCutoff = now.AddSeconds(-up.StabilizationWindowSeconds);
        var downCutoff = now.AddSeconds(-down.StabilizationWindowSeconds);
        var upRecommendation = proposed;
        var downRecommendation = proposed;
        var oldSlot = -1;
        for (var i = 0; i < history.Recommendations.Count; i++)
        {
            var rec = history.Recommendations[i];
            if (rec.At > upCutoff)
            {
                upRecommendation = Math.Min(rec.Replicas, upRecommendation);
            }

            if (rec.At > downCutoff)
            {
                downRecommendation = Math.Max(rec.Replicas, downRecommendation);
            }

            if (rec.At < upCutoff && rec.At < downCutoff)
            {
                oldSlot = i;
            }
        }

        var recommendation = Math.Min(Math.Max(current, upRecommendation), downRecommendation);
        Remember(history, new TimestampedRecommendation(proposed, now), oldSlot);
        return proposed >= current
            ? (recommendation, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
            : (recommendation, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
    }

    /// <summary>Upstream's <c>convertDesiredReplicasWithRules</c>.</summary>
    internal static (int Replicas, string Reason, string Message) WithRules(int current, int desired, int min, int max)
    {
        var scaleUpLimit = (int)Math.Max(ScaleUpLimitFactor * current, ScaleUpLimitMinimum);
        var (maximum, reason, message) = max > scaleUpLimit
            ? (scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            : (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
        if (desired < min)
        {
            return (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
        }

        return desired > maximum ? (maximum, reason, message) : (desired, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    /// <summary>Upstream's <c>convertDesiredReplicasWithBehaviorRate</c>.</summary>
    internal static (int Replicas, string Reason, string Message) WithBehaviorRate(AutoscalerHistory history, ScalingRules up, ScalingRules down, int current, int desired, int min, int max, DateTimeOffset now)
    {
        if (desired > current)
        {
            var limit = Math.Max(ScaleUpLimit(current, history.ScaleUps, history.ScaleDowns, up, now), current);
            var (maximum, reason, message) = max > limit
                ? (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                : (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
            if (desired > maximum)
            {
                return (maximum, reason, message);
            }
        }
        else if (desired < current)
        {
            var limit = Math.Min(ScaleDownLimit(current, history.ScaleUps, history.ScaleDowns, down, now), current);
            var (minimum, reason, message) = min < limit
                ? (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
                : (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
            if (desired < minimum)
            {
                return (minimum, reason, message);
            }
        }

        return (desired, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    /// <summary>Upstream's <c>stabilizeRecommendation</c>: the highest recommendation not older than the window.</summary>
    private static int StabilizeDown(AutoscalerHistory history, TimeSpan window, int proposed, DateTimeOffset now)
    {
        var cutoff = now - window;
        var highest = proposed;
        var oldSlot = -1;
        for (var i = 0; i < history.Recommendations.Count; i++)
        {
            var rec = history.Recommendations[i];
            if (rec.At < cutoff)
            {
                oldSlot = i;
            }
            else
            {
                highest = Math.Max(highest, rec.Replicas);
            }
        }

        Remember(history, new TimestampedRecommendation(proposed, now), oldSlot);
        return highest;
    }

    private static void Remember(AutoscalerHistory history, TimestampedRecommendation recommendation, int oldSlot)
    {
        if (oldSlot >= 0)
        {
            history.Recommendations[oldSlot] = recommendation;
        }
        else
        {
            history.Recommendations.Add(recommendation);
        }
    }
}
