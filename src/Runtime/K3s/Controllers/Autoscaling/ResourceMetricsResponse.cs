using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// What the resource metrics API (<c>metrics.k8s.io/v1beta1</c> PodMetricsList of the scale target's pods) answered:
/// the list, or the failure as client-go words it (<see cref="ClientErrors"/>).
/// </summary>
internal sealed record ResourceMetricsResponse(JsonObject? List, string? Error)
{
    public static ResourceMetricsResponse Of(JsonObject list) => new(list, null);

    public static ResourceMetricsResponse Failed(string error) => new(null, error);
}
