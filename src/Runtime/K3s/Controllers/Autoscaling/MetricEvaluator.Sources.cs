using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>One metric source's proposal, status and failure (upstream's <c>computeStatusFor*Metric</c>).</summary>
internal static partial class MetricEvaluator
{
    private static MetricAnswer Single(
        JsonObject hpa, JsonObject spec, ScaleState scale, IReadOnlyList<JsonObject> pods, ResourceMetricsResponse metrics, Tolerances tolerances,
        AutoscalerSettings settings, List<AutoscalerEvent> events, DateTimeOffset now)
    {
        var ns = ObjectKeys.Namespace(hpa);
        switch (spec.Str("type"))
        {
            case "Resource":
            {
                var source = spec.Obj("resource");
                var resource = source.Str("name") ?? string.Empty;
                var answer = Resource(source, resource, string.Empty, scale, pods, metrics, tolerances, settings, now);
                return answer.Error is { } error
                    ? Unable(events, "FailedGetResourceMetric", error, $"failed to get {resource} resource metric value: {error}")
                    : answer with { Status = new JsonObject { ["type"] = "Resource", ["resource"] = new JsonObject { ["name"] = resource, ["current"] = answer.Status } } };
            }

            case "ContainerResource":
            {
                var source = spec.Obj("containerResource");
                var resource = source.Str("name") ?? string.Empty;
                var container = source.Str("container") ?? string.Empty;
                var answer = Resource(source, resource, container, scale, pods, metrics, tolerances, settings, now);
                return answer.Error is { } error
                    ? Unable(events, "FailedGetContainerResourceMetric", error, $"failed to get {container} container metric value: {error}")
                    : answer with { Status = new JsonObject { ["type"] = "ContainerResource", ["containerResource"] = new JsonObject { ["name"] = resource, ["container"] = container, ["current"] = answer.Status } } };
            }

            case "Pods":
            {
                var error = $"unable to get metric {spec.Obj("pods").Obj("metric").Str("name")}: unable to fetch metrics from custom metrics API: {NoCustomMetricsApi}";
                return Unable(events, "FailedGetPodsMetric", error, $"failed to get pods metric value: {error}");
            }

            case "Object":
            {
                var source = spec.Obj("object");
                var name = source.Obj("metric").Str("name");
                var target = source.Obj("target");
                var described = source.Obj("describedObject");
                var error = $"unable to get metric {name}: {described.Str("kind")} on {ns} {described.Str("name")}/unable to fetch metrics from custom metrics API: {NoCustomMetricsApi}";
                return target.Str("type") switch
                {
                    "Value" when target.Has("value") => Unable(events, "FailedGetObjectMetric", error, $"failed to get object metric value: {error}"),
                    "AverageValue" when target.Has("averageValue") => Unable(events, "FailedGetObjectMetric", error, $"failed to get object metric value: failed to get {name} object metric: {error}"),
                    _ => Invalid(events, "FailedGetObjectMetric", "invalid object metric source: neither a value target nor an average value target was set", "failed to get object metric value: "),
                };
            }

            case "External":
            {
                var source = spec.Obj("external");
                var name = source.Obj("metric").Str("name");
                var target = source.Obj("target");
                var error = $"unable to get external metric {ns}/{name}/{GoLabelSelector.Format(source.Obj("metric").Obj("selector"))}: " +
                    $"unable to fetch metrics from external metrics API: the server could not find the requested resource (get {name}.external.metrics.k8s.io)";
                if (target.Has("averageValue"))
                {
                    return Unable(events, "FailedGetExternalMetric", error, $"failed to get {name} external metric value: failed to get {name} external metric: {error}");
                }

                return target.Has("value")
                    ? Unable(events, "FailedGetExternalMetric", error, $"failed to get {name} external metric value: failed to get external metric {name}: {error}")
                    : Invalid(events, "FailedGetExternalMetric", "invalid external metric source: neither a value target nor an average value target was set", $"failed to get {name} external metric value: ");
            }

            default:
            {
                var error = $"unknown metric source type \"{spec.Str("type")}\"";
                return Unable(events, "InvalidMetricSourceType", error, error);
            }
        }
    }

    /// <summary>Upstream's <c>computeStatusForResourceMetricGeneric</c>; the status returned is the <c>current</c> value.</summary>
    private static MetricAnswer Resource(
        JsonObject? source, string resource, string container, ScaleState scale, IReadOnlyList<JsonObject> pods, ResourceMetricsResponse metrics,
        Tolerances tolerances, AutoscalerSettings settings, DateTimeOffset now)
    {
        var target = source.Obj("target");
        if (target.Has("averageValue"))
        {
            var raw = ReplicaCalculator.AverageValue(scale.SpecReplicas, ResourceMetrics.MilliValue(target!["averageValue"]) ?? 0, resource, container, tolerances, pods, metrics, settings, now);
            return raw.Error is { } error
                ? MetricAnswer.Failed($"failed to get {resource} usage: {error}")
                : new MetricAnswer(raw.Replicas, $"{resource} resource", new JsonObject { ["averageValue"] = ResourceMetrics.FormatMilli(raw.RawAverage) }, null, null);
        }

        if (target.Long("averageUtilization") is not { } utilization)
        {
            return MetricAnswer.Failed("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set");
        }

        var proposal = ReplicaCalculator.Utilization(scale.SpecReplicas, (int)utilization, resource, container, tolerances, pods, metrics, settings, now);
        if (proposal.Error is { } failure)
        {
            return MetricAnswer.Failed($"failed to get {resource} utilization: {failure}");
        }

        var name = container.Length > 0 ? $"{resource} container resource utilization (percentage of request)" : $"{resource} resource utilization (percentage of request)";
        var current = new JsonObject { ["averageValue"] = ResourceMetrics.FormatMilli(proposal.RawAverage), ["averageUtilization"] = proposal.Utilization };
        return new MetricAnswer(proposal.Replicas, name, current, null, null);
    }

    /// <summary>Upstream's <c>getUnableComputeReplicaCountCondition</c>: the event now, the condition for later.</summary>
    private static MetricAnswer Unable(List<AutoscalerEvent> events, string reason, string cause, string error)
    {
        events.Add(AutoscalerEvent.Warning(reason, cause));
        return new MetricAnswer(0, string.Empty, null, error, (reason, $"the HPA was unable to compute the replica count: {cause}"));
    }

    private static MetricAnswer Invalid(List<AutoscalerEvent> events, string reason, string cause, string prefix) => Unable(events, reason, cause, prefix + cause);

    private sealed record MetricAnswer(int Replicas, string Name, JsonObject? Status, string? Error, (string Reason, string Message)? Condition)
    {
        public static MetricAnswer Failed(string error) => new(0, string.Empty, null, error, null);
    }
}
