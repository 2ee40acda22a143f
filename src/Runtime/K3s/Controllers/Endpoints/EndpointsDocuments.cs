using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Endpoints;

/// <summary>
/// Renders a Service's endpoints as the two objects clients read: the core/v1 <c>Endpoints</c> subsets (addresses
/// grouped by identical port sets, not-ready pods under <c>notReadyAddresses</c>, terminating pods left out) and
/// discovery.k8s.io/v1 <c>EndpointSlice</c> endpoints (every pod, with ready, serving and terminating conditions,
/// at most 100 per slice). Pure; output is ordered so equal inputs give equal JSON.
/// </summary>
internal static class EndpointsDocuments
{
    public const int MaxEndpointsPerSlice = 100;

    public static JsonArray Subsets(IReadOnlyList<ServiceEndpoint> endpoints, IReadOnlyList<EndpointPort> ports)
    {
        var subsets = new JsonArray();
        var groups = endpoints.Where(e => !e.Terminating && e.Ports.Count > 0)
            .GroupBy(e => string.Join(',', ports.Where(p => e.Ports.ContainsKey(p.Name)).Select(p => $"{p.Name}:{e.Ports[p.Name]}")), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var first = group.First();
            var subset = new JsonObject();
            var ready = new JsonArray([.. group.Where(e => e.Ready).Select(Address)]);
            var notReady = new JsonArray([.. group.Where(e => !e.Ready).Select(Address)]);
            if (ready.Count > 0)
            {
                subset["addresses"] = ready;
            }

            if (notReady.Count > 0)
            {
                subset["notReadyAddresses"] = notReady;
            }

            subset["ports"] = new JsonArray([.. ports.Where(p => first.Ports.ContainsKey(p.Name)).Select(p => (JsonNode)Port(p, first.Ports[p.Name]))]);
            subsets.Add((JsonNode)subset);
        }

        return subsets;
    }

    /// <summary>The slices' endpoint lists and ports: one chunk of at most <see cref="MaxEndpointsPerSlice"/> per port set.</summary>
    public static IReadOnlyList<(JsonArray Endpoints, JsonArray Ports)> Slices(IReadOnlyList<ServiceEndpoint> endpoints, IReadOnlyList<EndpointPort> ports)
    {
        var result = new List<(JsonArray, JsonArray)>();
        var groups = endpoints
            .GroupBy(e => string.Join(',', ports.Where(p => e.Ports.ContainsKey(p.Name)).Select(p => $"{p.Name}:{e.Ports[p.Name]}")), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var first = group.First();
            foreach (var chunk in group.Chunk(MaxEndpointsPerSlice))
            {
                var list = new JsonArray([.. chunk.Select(e => (JsonNode)new JsonObject
                {
                    ["addresses"] = new JsonArray(e.Ip),
                    ["conditions"] = new JsonObject { ["ready"] = e.Ready, ["serving"] = e.Serving, ["terminating"] = e.Terminating },
                    ["nodeName"] = e.NodeName.Length > 0 ? e.NodeName : null,
                    ["targetRef"] = TargetRef(e),
                })]);
                result.Add((list, new JsonArray([.. ports.Where(p => first.Ports.ContainsKey(p.Name)).Select(p => (JsonNode)Port(p, first.Ports[p.Name]))])));
            }
        }

        return result;
    }

    private static JsonNode Address(ServiceEndpoint e) => new JsonObject
    {
        ["ip"] = e.Ip,
        ["nodeName"] = e.NodeName.Length > 0 ? e.NodeName : null,
        ["targetRef"] = TargetRef(e),
    };

    private static JsonObject TargetRef(ServiceEndpoint e) => new()
    {
        ["kind"] = "Pod",
        ["namespace"] = e.Namespace,
        ["name"] = e.PodName,
        ["uid"] = e.PodUid,
    };

    private static JsonObject Port(EndpointPort port, int number)
    {
        var result = new JsonObject();
        if (port.Name.Length > 0)
        {
            result["name"] = port.Name;
        }

        result["port"] = number;
        result["protocol"] = port.Protocol;
        if (port.AppProtocol is not null)
        {
            result["appProtocol"] = port.AppProtocol;
        }

        return result;
    }
}
