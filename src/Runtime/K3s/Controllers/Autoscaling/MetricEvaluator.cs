using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Evaluates an HPA's <c>spec.metrics</c> against its scale target, as upstream's <c>computeReplicasForMetrics</c>
/// and <c>computeReplicasForMetric</c> do: Resource and ContainerResource metrics from the resource metrics API;
/// Pods, Object and External metrics fail as upstream fails when the custom and external metrics APIs are not
/// registered, which they never are here. A failing metric records its event (FailedGet*Metric) at once; the first
/// one's condition becomes ScalingActive=False when nothing can be scaled, otherwise ScalingActive=True
/// (ValidMetricFound). Pure.
/// </summary>
internal static partial class MetricEvaluator
{
    /// <summary>The custom metrics client's error when discovery finds no custom.metrics.k8s.io.</summary>
    public const string NoCustomMetricsApi = "no custom metrics API (custom.metrics.k8s.io) registered";

    public static MetricsOutcome Evaluate(
        JsonObject hpa, ScaleState scale, IReadOnlyList<JsonObject> namespacePods, ResourceMetricsResponse metrics, Tolerances tolerances,
        AutoscalerSettings settings, JsonArray conditions, List<AutoscalerEvent> events, DateTimeOffset now)
    {
        if (scale.Selector.Length == 0)
        {
            events.Add(AutoscalerEvent.Warning("SelectorRequired", "selector is required"));
            HpaConditions.Set(conditions, HpaConditions.ScalingActive, false, "InvalidSelector", "the HPA target's scale is missing a selector", now);
            return new MetricsOutcome(-1, string.Empty, null, "selector is required", true);
        }

        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(scale.Selector);
        }
        catch (ApiStatusException e)
        {
            var message = $"couldn't convert selector into a corresponding internal selector object: {e.Message}";
            events.Add(AutoscalerEvent.Warning("InvalidSelector", message));
            HpaConditions.Set(conditions, HpaConditions.ScalingActive, false, "InvalidSelector", message, now);
            return new MetricsOutcome(-1, string.Empty, null, message, true);
        }

        var pods = namespacePods.Where(selector.Matches).ToList();
        var specs = MetricSpecs(hpa);
        var statuses = new JsonArray();
        var replicas = 0;
        var metric = string.Empty;
        var invalid = 0;
        string? firstError = null;
        (string Reason, string Message)? firstCondition = null;
        foreach (var spec in specs)
        {
            var answer = Single(hpa, spec, scale, pods, metrics, tolerances, settings, events, now);
            statuses.Add((JsonNode)(answer.Status ?? new JsonObject { ["type"] = string.Empty }));
            if (answer.Error is { } error)
            {
                if (invalid == 0)
                {
                    firstError = error;
                    firstCondition = answer.Condition;
                }

                invalid++;
                continue;
            }

            if (replicas == 0 || answer.Replicas > replicas)
            {
                replicas = answer.Replicas;
                metric = answer.Name;
            }
        }

        var combined = firstError is null ? null : $"invalid metrics ({invalid} invalid out of {specs.Count}), first error is: {firstError}";
        if (invalid >= specs.Count || (invalid > 0 && replicas < scale.SpecReplicas))
        {
            if (firstCondition is { } condition)
            {
                HpaConditions.Set(conditions, HpaConditions.ScalingActive, false, condition.Reason, condition.Message, now);
            }

            return new MetricsOutcome(-1, string.Empty, statuses, combined, true);
        }

        HpaConditions.Set(conditions, HpaConditions.ScalingActive, true, "ValidMetricFound", $"the HPA was able to successfully calculate a replica count from {metric}", now);
        return new MetricsOutcome(replicas, metric, statuses, combined, false);
    }

    /// <summary><c>spec.metrics</c>, or the API's default (cpu at 80% utilization) when empty.</summary>
    internal static IReadOnlyList<JsonObject> MetricSpecs(JsonObject hpa)
    {
        var listed = (hpa.Obj("spec").Arr("metrics") ?? []).OfType<JsonObject>().ToList();
        return listed.Count > 0
            ? listed
            : [new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = "cpu", ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = 80 } } }];
    }
}
