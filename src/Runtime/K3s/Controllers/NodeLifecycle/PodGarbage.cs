using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// Which pods the pod garbage collector force-deletes (<c>gracePeriodSeconds=0</c>), upstream's basics: a pod bound to
/// a Node that has not existed for 40 s (no kubelet will ever finish it), and a terminating pod on a node that is not Ready
/// and carries the <c>node.kubernetes.io/out-of-service</c> taint (an operator declared the node dead). Pure.
/// </summary>
internal static class PodGarbage
{
    /// <summary>How long a node must be missing before its pods are collected (upstream's quarantine, 40 s).</summary>
    public static readonly TimeSpan MissingNodeQuarantine = TimeSpan.FromSeconds(40);

    /// <summary>Whether <paramref name="pod"/> is bound to the missing node and so is to be force-deleted.</summary>
    public static bool OrphanedByMissingNode(JsonObject pod, string missingNode) => PodState.NodeName(pod) == missingNode;

    /// <summary>Whether <paramref name="pod"/>, on <paramref name="node"/>, is terminating where nothing will finish it.</summary>
    public static bool StuckOnOutOfServiceNode(JsonObject pod, JsonObject node) =>
        ObjectKeys.IsDeleting(pod)
        && PodState.NodeName(pod) == ObjectKeys.Name(node)
        && NodeTaints.Has(node, NodeTaints.OutOfService)
        && PodState.Condition(node, "Ready")?["status"]?.GetValue<string>() != "True";
}
