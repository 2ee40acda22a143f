using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// The events the kubelet records about its Node when a condition it owns changes status (or first appears), as
/// kubelet's <c>recordNodeStatusEvent</c> does: <c>NodeHasSufficientMemory</c>, <c>NodeHasNoDiskPressure</c>,
/// <c>NodeHasSufficientPID</c>, <c>NodeReady</c> and their opposites, each with the message
/// <c>Node &lt;name&gt; status is now: &lt;reason&gt;</c>. A node the lifecycle controller marked Unknown gets them
/// again when its kubelet posts again. Pure.
/// </summary>
internal static class NodeStatusEvents
{
    /// <summary>The reasons to record, in the conditions' order, for the change from <paramref name="previous"/> to <paramref name="current"/>.</summary>
    public static IReadOnlyList<string> Changed(JsonArray? previous, JsonArray? current)
    {
        var reasons = new List<string>();
        foreach (var condition in (current ?? []).OfType<JsonObject>())
        {
            var type = condition["type"]?.GetValue<string>();
            var status = condition["status"]?.GetValue<string>();
            var before = previous?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>();
            if (before != status && Reason(type, status) is { } reason)
            {
                reasons.Add(reason);
            }
        }

        return reasons;
    }

    /// <summary>The event's message, as the kubelet words it.</summary>
    public static string Message(string node, string reason) => $"Node {node} status is now: {reason}";

    private static string? Reason(string? type, string? status) => (type, status) switch
    {
        ("MemoryPressure", "False") => "NodeHasSufficientMemory",
        ("MemoryPressure", "True") => "NodeHasInsufficientMemory",
        ("DiskPressure", "False") => "NodeHasNoDiskPressure",
        ("DiskPressure", "True") => "NodeHasDiskPressure",
        ("PIDPressure", "False") => "NodeHasSufficientPID",
        ("PIDPressure", "True") => "NodeHasInsufficientPID",
        ("Ready", "True") => "NodeReady",
        ("Ready", "False") => "NodeNotReady",
        _ => null,
    };
}
