using System.Globalization;
using System.Text.Json.Nodes;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// kube-apiserver 1.33's HorizontalPodAutoscaler printer, read from the stored autoscaling/v2 object whatever version
/// is asked for: the target as <c>Kind/name</c>, each metric as <c>current/target</c> (<c>cpu: 12%/50%</c>,
/// <c>&lt;unknown&gt;</c> before the controller has measured it), the first two metrics and a count of the rest.
/// </summary>
internal static partial class TableColumns
{
    private const string Unknown = "<unknown>";

    private static TableColumn[] HorizontalPodAutoscalerColumns() => [
        Name,
        new("Reference", "string", "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.", (o, _) => $"{Str(o, "spec.scaleTargetRef.kind")}/{Str(o, "spec.scaleTargetRef.name")}"),
        new("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond.", (o, _) => MetricTargets(o)),
        new("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.", (o, _) => At(o, "spec.minReplicas") is null ? Unset : Invariant(Long(o, "spec.minReplicas"))),
        new("MaxPods", "integer", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.", (o, _) => Long(o, "spec.maxReplicas")),
        new("Replicas", "integer", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.", (o, _) => Long(o, "status.currentReplicas")),
        Age];

    /// <summary>kube's <c>formatHPAMetrics</c>: each metric against the status entry at the same index.</summary>
    internal static string MetricTargets(JsonObject hpa)
    {
        var specs = Objects(hpa, "spec.metrics").ToList();
        if (specs.Count == 0)
        {
            return None;
        }

        var statuses = Objects(hpa, "status.currentMetrics").ToList();
        var shown = new List<string>();
        for (var i = 0; i < specs.Count && i < 2; i++)
        {
            var spec = specs[i];
            var status = i < statuses.Count ? statuses[i] : null;
            shown.Add(Str(spec, "type") switch
            {
                "External" => ValueTarget(spec["external"], status?["external"]),
                "Object" => ValueTarget(spec["object"], status?["object"]),
                "Pods" => $"{Str(status, "pods.current.averageValue") ?? Unknown}/{Str(spec, "pods.target.averageValue")}",
                "Resource" => ResourceTarget(spec["resource"], status?["resource"]),
                "ContainerResource" => ResourceTarget(spec["containerResource"], status?["containerResource"]),
                _ => "<unknown type>",
            });
        }

        var joined = string.Join(", ", shown);
        return specs.Count > 2 ? string.Create(CultureInfo.InvariantCulture, $"{joined} + {specs.Count - 2} more...") : joined;
    }

    private static string ValueTarget(JsonNode? source, JsonNode? status) =>
        Str(source, "target.averageValue") is { } average
            ? $"{Str(status, "current.averageValue") ?? Unknown}/{average} (avg)"
            : $"{Str(status, "current.value") ?? Unknown}/{Str(source, "target.value")}";

    private static string ResourceTarget(JsonNode? source, JsonNode? status)
    {
        var name = Str(source, "name");
        if (Str(source, "target.averageValue") is { } average)
        {
            return $"{name}: {Str(status, "current.averageValue") ?? Unknown}/{average}";
        }

        var current = At(status, "current.averageUtilization") is null ? Unknown : Invariant(Long(status, "current.averageUtilization")) + "%";
        var target = At(source, "target.averageUtilization") is null ? "<auto>" : Invariant(Long(source, "target.averageUtilization")) + "%";
        return $"{name}: {current}/{target}";
    }
}
