using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.K3s.ApiServer.Resources;

// Pods on kubemark-style hollow nodes, which serve no kubelet API: nothing to dial.
internal sealed partial class ResourceHandler
{
    /// <summary>
    /// Whether the node is a hollow node (<c>k3s hollow-nodes</c>): its runtime, named in
    /// <c>nodeInfo.containerRuntimeVersion</c>, runs no processes, and no kubelet API listens at its address.
    /// </summary>
    private static bool IsHollow(JsonObject node) =>
        node["status"]?["nodeInfo"]?["containerRuntimeVersion"]?.GetValue<string>()?.StartsWith(HollowRuntime.Scheme + "://", StringComparison.Ordinal) == true;

    /// <summary>Refuses exec, attach and port-forward into a pod on a hollow node, in place of a dial that cannot succeed.</summary>
    private static ApiStatusException HollowNodeRefusal(string subresource, string pod, string node) =>
        ApiErrors.BadRequest($"{subresource} is not supported on a hollow node: pod {pod} runs on {node}, whose containers run no processes");
}
