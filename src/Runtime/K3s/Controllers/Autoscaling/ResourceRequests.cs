using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Each pod's request of a resource in milli-units, as upstream's <c>calculateRequests</c> computes it: the pod-level
/// request when the pod sets one and no container is named, else the sum over its containers (restartable init
/// containers, i.e. sidecars, included) or the one named container. A container without the request is an error. Pure.
/// </summary>
internal static class ResourceRequests
{
    public static (Dictionary<string, long>? Requests, string? Error) Of(IReadOnlyList<JsonObject> pods, string container, string resource)
    {
        var requests = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var (request, error) = container.Length == 0 && pod.Obj("spec").Obj("resources").Obj("requests") is { Count: > 0 } podLevel
                ? PodLevel(pod, podLevel, resource)
                : FromContainers(pod, container, resource);
            if (error is not null)
            {
                return (null, error);
            }

            requests[ObjectKeys.Name(pod)] = request;
        }

        return (requests, null);
    }

    private static (long, string?) PodLevel(JsonObject pod, JsonObject requests, string resource) =>
        ResourceMetrics.MilliValue(requests[resource]) is { } value
            ? (value, null)
            : (0, $"missing pod-level request for {resource} in Pod {ObjectKeys.Name(pod)}");

    private static (long, string?) FromContainers(JsonObject pod, string container, string resource)
    {
        var spec = pod.Obj("spec");
        var containers = (spec.Arr("containers") ?? []).OfType<JsonObject>()
            .Concat((spec.Arr("initContainers") ?? []).OfType<JsonObject>().Where(c => c.Str("restartPolicy") == "Always"));
        long sum = 0;
        foreach (var c in containers)
        {
            var name = c.Str("name") ?? string.Empty;
            if (container.Length == 0 || container == name)
            {
                if (ResourceMetrics.MilliValue(c.Obj("resources").Obj("requests")?[resource]) is not { } value)
                {
                    return (0, $"missing request for {resource} in container {name} of Pod {ObjectKeys.Name(pod)}");
                }

                sum += value;
            }

            if (container == name)
            {
                return (sum, null);
            }
        }

        return container.Length > 0 ? (0, $"container {container} not found in Pod {ObjectKeys.Name(pod)}") : (sum, null);
    }
}
