using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// kube 1.33's <c>ValidateHorizontalPodAutoscaler</c> and <c>ValidateHorizontalPodAutoscalerUpdate</c> on the stored
/// autoscaling/v2 shape, in kube's order: the replica bounds, the scale target, each metric, then the behavior.
/// <c>minReplicas</c> is at least 1 (HPAScaleToZero is alpha and off) unless the stored object already has 0, in
/// which case an Object or External metric must keep it scaling. Metric selectors and the target's apiVersion are
/// not checked, as 1.33 does not check them.
/// </summary>
internal static partial class HorizontalPodAutoscalerRules
{
    private const long MaxStabilizationWindowSeconds = 3600;
    private const long MaxPeriodSeconds = 1800;

    /// <summary>Checks <paramref name="spec"/>; <paramref name="oldSpec"/> is the stored one on update, null on create.</summary>
    public static void Check(JsonObject? spec, JsonObject? oldSpec, FieldErrorList errors)
    {
        var lowerBound = oldSpec.Long("minReplicas") == 0 ? 0 : 1;
        var minReplicas = spec.Long("minReplicas");
        if (minReplicas < lowerBound)
        {
            errors.Invalid("spec.minReplicas", minReplicas.Value, $"must be greater than or equal to {lowerBound}");
        }

        var maxReplicas = spec.Long("maxReplicas") ?? 0;
        if (maxReplicas < 1)
        {
            errors.Invalid("spec.maxReplicas", maxReplicas, "must be greater than 0");
        }

        if (maxReplicas < minReplicas)
        {
            errors.Invalid("spec.maxReplicas", maxReplicas, "must be greater than or equal to `minReplicas`");
        }

        Reference(spec.Obj("scaleTargetRef"), "spec.scaleTargetRef", errors);
        Metrics(spec.Arr("metrics"), minReplicas, errors);
        if (spec.Obj("behavior") is { } behavior)
        {
            ScalingRules(behavior.Obj("scaleUp"), "spec.behavior.scaleUp", errors);
            ScalingRules(behavior.Obj("scaleDown"), "spec.behavior.scaleDown", errors);
        }
    }

    /// <summary><c>ValidateCrossVersionObjectReference</c>: a kind and a name, each usable as a URL path segment.</summary>
    private static void Reference(JsonObject? reference, string path, FieldErrorList errors)
    {
        foreach (var field in new[] { "kind", "name" })
        {
            if (reference.Str(field) is not { Length: > 0 } value)
            {
                errors.Required($"{path}.{field}");
            }
            else
            {
                errors.InvalidEach($"{path}.{field}", value, Formats.PathSegmentName(value));
            }
        }
    }

    private static void ScalingRules(JsonObject? rules, string path, FieldErrorList errors)
    {
        if (rules is null)
        {
            return;
        }

        if (rules.Long("stabilizationWindowSeconds") is { } window)
        {
            if (window < 0)
            {
                errors.Invalid($"{path}.stabilizationWindowSeconds", window, "must be greater than or equal to zero");
            }

            if (window > MaxStabilizationWindowSeconds)
            {
                errors.Invalid($"{path}.stabilizationWindowSeconds", window, $"must be less than or equal to {MaxStabilizationWindowSeconds}");
            }
        }

        if (rules.Str("selectPolicy") is { } select && select is not ("Max" or "Min" or "Disabled"))
        {
            errors.NotSupported($"{path}.selectPolicy", select, "Disabled", "Max", "Min");
        }

        var policies = rules.Arr("policies");
        if (policies is not { Count: > 0 })
        {
            errors.Required($"{path}.policies", "must specify at least one Policy");
        }

        foreach (var (i, policy) in policies.Items())
        {
            var at = $"{path}.policies[{i}]";
            if (policy.Str("type") is not ("Pods" or "Percent"))
            {
                errors.NotSupported($"{at}.type", policy.Str("type") ?? string.Empty, "Percent", "Pods");
            }

            var value = policy.Long("value") ?? 0;
            if (value <= 0)
            {
                errors.Invalid($"{at}.value", value, "must be greater than zero");
            }

            var period = policy.Long("periodSeconds") ?? 0;
            if (period <= 0)
            {
                errors.Invalid($"{at}.periodSeconds", period, "must be greater than zero");
            }

            if (period > MaxPeriodSeconds)
            {
                errors.Invalid($"{at}.periodSeconds", period, $"must be less than or equal to {MaxPeriodSeconds}");
            }
        }
    }
}
