using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's <c>MarkPodsNotReady</c>: when the controller finds a node's kubelet gone, the pods bound there can no
/// longer be trusted to serve, so their <c>Ready</c> condition is set to False (endpoints drop them) while they wait
/// for eviction. Pure.
/// </summary>
internal static class PodsNotReady
{
    /// <summary>A copy of <paramref name="pod"/> with Ready False since <paramref name="now"/>, or null when its Ready condition is already False or absent.</summary>
    public static JsonObject? Mark(JsonObject pod, DateTimeOffset now)
    {
        if (PodState.Condition(pod, "Ready") is not { } ready || ready.Str("status") == "False")
        {
            return null;
        }

        var copy = (JsonObject)pod.DeepClone();
        var condition = PodState.Condition(copy, "Ready")!;
        condition["status"] = "False";
        condition["lastTransitionTime"] = PodState.Stamp(now);
        return copy;
    }
}
