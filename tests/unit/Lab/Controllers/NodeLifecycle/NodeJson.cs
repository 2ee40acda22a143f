using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

/// <summary>Node, Lease and Pod documents for the node lifecycle tests.</summary>
internal static class NodeJson
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JsonObject Node(string ready = "True", string heartbeat = "2026-01-01T11:59:50Z", string reason = "KubeletReady", string taints = "[]", bool unschedulable = false, string memory = "False")
    {
        var node = (JsonObject)JsonNode.Parse($$$"""
            {"metadata":{"name":"n1","uid":"u-n1","creationTimestamp":"2026-01-01T10:00:00Z"},
             "spec":{"taints":{{{taints}}}},
             "status":{"conditions":[
               {"type":"MemoryPressure","status":"{{{memory}}}","reason":"KubeletHasSufficientMemory","lastHeartbeatTime":"{{{heartbeat}}}","lastTransitionTime":"2026-01-01T10:00:00Z"},
               {"type":"DiskPressure","status":"False","reason":"KubeletHasNoDiskPressure","lastHeartbeatTime":"{{{heartbeat}}}","lastTransitionTime":"2026-01-01T10:00:00Z"},
               {"type":"PIDPressure","status":"False","reason":"KubeletHasSufficientPID","lastHeartbeatTime":"{{{heartbeat}}}","lastTransitionTime":"2026-01-01T10:00:00Z"},
               {"type":"Ready","status":"{{{ready}}}","reason":"{{{reason}}}","lastHeartbeatTime":"{{{heartbeat}}}","lastTransitionTime":"2026-01-01T10:00:00Z"}]}}
            """)!;
        if (unschedulable)
        {
            node["spec"]!["unschedulable"] = true;
        }

        return node;
    }

    public static JsonObject Lease(string renew) =>
        (JsonObject)JsonNode.Parse($$$"""{"metadata":{"name":"n1","namespace":"kube-node-lease"},"spec":{"holderIdentity":"n1","leaseDurationSeconds":40,"renewTime":"{{{renew}}}"}}""")!;

    public static JsonObject Pod(string tolerations, string node = "n1", string extraMetadata = "") =>
        (JsonObject)JsonNode.Parse($$$"""{"metadata":{"name":"p","namespace":"default","uid":"u-p"{{{extraMetadata}}}},"spec":{"nodeName":"{{{node}}}","tolerations":{{{tolerations}}}},"status":{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T10:00:00Z"}]}}""")!;
}
