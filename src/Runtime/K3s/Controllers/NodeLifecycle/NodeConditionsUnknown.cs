using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// The conditions of a node whose kubelet went silent, as upstream's node lifecycle controller writes them: each of
/// Ready, MemoryPressure, DiskPressure and PIDPressure becomes <c>Unknown</c> with reason <c>NodeStatusUnknown</c>
/// (its <c>lastHeartbeatTime</c> kept, <c>lastTransitionTime</c> now); one the kubelet never posted is added with
/// reason <c>NodeStatusNeverUpdated</c> and the node's creation time as heartbeat. Other conditions are kept. Pure.
/// </summary>
internal static class NodeConditionsUnknown
{
    public const string StoppedReason = "NodeStatusUnknown";
    public const string StoppedMessage = "Kubelet stopped posting node status.";
    public const string NeverReason = "NodeStatusNeverUpdated";
    public const string NeverMessage = "Kubelet never posted node status.";

    private static readonly string[] KubeletConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    /// <summary>The node's new <c>status.conditions</c>, or null when every one is already Unknown.</summary>
    public static JsonArray? Apply(JsonObject node, DateTimeOffset now)
    {
        var conditions = (JsonArray?)node.Obj("status").Arr("conditions")?.DeepClone() ?? [];
        var stamp = PodState.Stamp(now);
        var changed = false;
        foreach (var type in KubeletConditions)
        {
            var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);
            if (condition is null)
            {
                conditions.Add((JsonNode)new JsonObject
                {
                    ["type"] = type,
                    ["status"] = "Unknown",
                    ["lastHeartbeatTime"] = node.Obj("metadata").Str("creationTimestamp") ?? stamp,
                    ["lastTransitionTime"] = stamp,
                    ["reason"] = NeverReason,
                    ["message"] = NeverMessage,
                });
                changed = true;
            }
            else if (condition.Str("status") != "Unknown")
            {
                condition["status"] = "Unknown";
                condition["reason"] = StoppedReason;
                condition["message"] = StoppedMessage;
                condition["lastTransitionTime"] = stamp;
                changed = true;
            }
        }

        return changed ? conditions : null;
    }
}
