using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.ClusterDns;

/// <summary>Services, EndpointSlices and Nodes as the API serves them, for the cluster DNS tests.</summary>
internal static class ClusterObjects
{
    public static JsonObject Service(string ns, string name, string clusterIp, params (string Name, string Protocol, int Port)[] ports) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["clusterIP"] = clusterIp,
            ["clusterIPs"] = clusterIp == "None" ? new JsonArray("None") : new JsonArray(clusterIp),
            ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["protocol"] = p.Protocol, ["port"] = p.Port })]),
        },
    };

    public static JsonObject ExternalName(string ns, string name, string target) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name },
        ["spec"] = new JsonObject { ["type"] = "ExternalName", ["externalName"] = target },
    };

    public static JsonObject Slice(string ns, string service, (string Name, string Protocol, int Port)[] ports, params (string Ip, string? Hostname, bool Ready)[] endpoints) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = service + "-x1y2z", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = service } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["protocol"] = p.Protocol, ["port"] = p.Port })]),
        ["endpoints"] = new JsonArray([.. endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(e.Ip),
            ["hostname"] = e.Hostname,
            ["conditions"] = new JsonObject { ["ready"] = e.Ready },
        })]),
    };

    public static JsonObject Node(string name, string internalIp) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["status"] = new JsonObject
        {
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = internalIp },
                new JsonObject { ["type"] = "Hostname", ["address"] = name }),
        },
    };
}
