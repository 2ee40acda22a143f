using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// The node's Lease in <c>kube-node-lease</c>: named after the node, held by it, 40 s long, owned by the Node so it
/// goes when the Node does, renewed by setting <c>renewTime</c> (MicroTime). Pure.
/// </summary>
internal static class NodeLease
{
    public static string Path(string node) => $"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}";

    public const string CollectionPath = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";

    public static JsonObject New(string node, string? nodeUid, DateTimeOffset now)
    {
        var metadata = new JsonObject { ["name"] = node, ["namespace"] = "kube-node-lease" };
        if (nodeUid is not null)
        {
            metadata["ownerReferences"] = new JsonArray
            {
                (JsonNode)new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node, ["uid"] = nodeUid },
            };
        }

        return new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = node,
                ["leaseDurationSeconds"] = HeartbeatSchedule.LeaseDurationSeconds,
                ["renewTime"] = Timestamps.FormatMicro(now),
            },
        };
    }

    /// <summary>The stored Lease with its holder, duration and <c>renewTime</c> set for a renewal at <paramref name="now"/>.</summary>
    public static JsonObject Renewed(JsonObject lease, string node, DateTimeOffset now)
    {
        var copy = (JsonObject)lease.DeepClone();
        if (copy["spec"] is not JsonObject spec)
        {
            copy["spec"] = spec = [];
        }

        spec["holderIdentity"] = node;
        spec["leaseDurationSeconds"] = HeartbeatSchedule.LeaseDurationSeconds;
        spec["renewTime"] = Timestamps.FormatMicro(now);
        return copy;
    }
}
