using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>A scaling policy: at most <see cref="Value"/> pods (Pods) or percent (Percent) per <see cref="PeriodSeconds"/>.</summary>
internal sealed record ScalingPolicy(string Type, int Value, int PeriodSeconds);

/// <summary>
/// One direction of <c>spec.behavior</c> (autoscaling/v2 HPAScalingRules) with the API's defaults filled in: scale-up
/// stabilizes over 0 s and allows the larger of 4 pods or 100% per 15 s; scale-down stabilizes over
/// <c>--horizontal-pod-autoscaler-downscale-stabilization</c> and allows 100% per 15 s; <c>selectPolicy</c> Max.
/// <see cref="Tolerance"/> is the rule's own tolerance, if it sets one.
/// </summary>
internal sealed record ScalingRules(int StabilizationWindowSeconds, string SelectPolicy, IReadOnlyList<ScalingPolicy> Policies, double? Tolerance)
{
    public const string Max = "Max";
    public const string Min = "Min";
    public const string Disabled = "Disabled";

    /// <summary>The scale-up rules of <paramref name="behavior"/> (a present <c>spec.behavior</c>).</summary>
    public static ScalingRules ScaleUp(JsonObject? behavior) =>
        Read(behavior.Obj("scaleUp"), 0, [new ScalingPolicy("Pods", 4, 15), new ScalingPolicy("Percent", 100, 15)]);

    /// <summary>The scale-down rules of <paramref name="behavior"/>; <paramref name="window"/> is the flag's default window.</summary>
    public static ScalingRules ScaleDown(JsonObject? behavior, TimeSpan window) =>
        Read(behavior.Obj("scaleDown"), (int)window.TotalSeconds, [new ScalingPolicy("Percent", 100, 15)]);

    /// <summary>The longest policy period, which bounds how long scale events matter.</summary>
    public int LongestPeriodSeconds => Policies.Count == 0 ? 0 : Policies.Max(p => p.PeriodSeconds);

    private static ScalingRules Read(JsonObject? rules, int window, IReadOnlyList<ScalingPolicy> policies)
    {
        var listed = (rules.Arr("policies") ?? []).OfType<JsonObject>()
            .Select(p => new ScalingPolicy(p.Str("type") ?? string.Empty, (int)(p.Long("value") ?? 0), (int)(p.Long("periodSeconds") ?? 0)))
            .ToList();
        double? tolerance = Quantity.TryRead(rules?["tolerance"], out var q) ? (double)q.Value : null;
        return new ScalingRules(
            (int)(rules.Long("stabilizationWindowSeconds") ?? window),
            rules.Str("selectPolicy") ?? Max,
            listed.Count > 0 ? listed : policies,
            tolerance);
    }
}
