using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// The four node conditions the kubelet owns, with its reasons and messages. Pressure follows the kubelet's default
/// hard eviction thresholds: memory when less than 100Mi is available, disk when less than 10% of the data dir's
/// filesystem is free, PIDs when more than 95% of <c>pid_max</c> are in use. Ready is True while the kubelet runs
/// (it has no network plugin or runtime to wait for). <c>lastTransitionTime</c> is kept from the previous status
/// while a condition's status is unchanged; <c>lastHeartbeatTime</c> is always now. Pure.
/// </summary>
internal static class NodeConditions
{
    public const long MemoryThresholdBytes = 100L * 1024 * 1024;
    public const double DiskFreeThreshold = 0.10;
    public const double PidUsedThreshold = 0.95;

    public static JsonArray Build(NodeFacts facts, JsonArray? previous, DateTimeOffset now)
    {
        var memory = facts.MemoryAvailableBytes < MemoryThresholdBytes;
        var disk = facts.DiskBytes > 0 && facts.DiskAvailableBytes < facts.DiskBytes * DiskFreeThreshold;
        var pid = facts.ProcessLimit > 0 && facts.Processes > facts.ProcessLimit * PidUsedThreshold;
        // Typed as JsonNode so the array's Add(JsonNode) is chosen: Add<T> with another T needs reflection under NativeAOT.
        return
        [
            (JsonNode)Condition("MemoryPressure", memory, memory ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory", memory ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available", previous, now),
            (JsonNode)Condition("DiskPressure", disk, disk ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure", disk ? "kubelet has disk pressure" : "kubelet has no disk pressure", previous, now),
            (JsonNode)Condition("PIDPressure", pid, pid ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID", pid ? "kubelet has insufficient PID available" : "kubelet has sufficient PID available", previous, now),
            (JsonNode)Condition("Ready", true, "KubeletReady", "kubelet is posting ready status", previous, now),
        ];
    }

    private static JsonObject Condition(string type, bool status, string reason, string message, JsonArray? previous, DateTimeOffset now)
    {
        var value = status ? "True" : "False";
        var before = previous?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
        var transition = before is not null && before["status"]?.GetValue<string>() == value && before["lastTransitionTime"]?.GetValue<string>() is { } kept
            ? kept
            : Timestamps.Format(now);
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = value,
            ["lastHeartbeatTime"] = Timestamps.Format(now),
            ["lastTransitionTime"] = transition,
            ["reason"] = reason,
            ["message"] = message,
        };
    }
}
