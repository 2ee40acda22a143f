using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.Endpoints;

namespace K3sLab.K3s.Controllers.ServiceLb;

/// <summary>
/// Which nodes run a ready pod endpoint of each Service, read from its EndpointSlices as k3s's ServiceLB reads them for
/// <c>externalTrafficPolicy: Local</c>: an endpoint counts when its <c>targetRef</c> is a Pod, its
/// <c>conditions.ready</c> is true and it names a node.
/// </summary>
internal static class LocalEndpoints
{
    /// <summary>Node names by Service key (<c>ns/name</c>).</summary>
    public static IReadOnlyDictionary<string, HashSet<string>> ReadyPodNodes(IEnumerable<JsonObject> endpointSlices)
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var slice in endpointSlices)
        {
            if (slice.Obj("metadata").Obj("labels").Str(EndpointsController.ServiceNameLabel) is not { Length: > 0 } service)
            {
                continue;
            }

            var key = $"{ObjectKeys.Namespace(slice)}/{service}";
            foreach (var endpoint in slice.Arr("endpoints").Items().Select(e => e.Item as JsonObject).OfType<JsonObject>())
            {
                if (endpoint.Obj("targetRef").Str("kind") == "Pod" && endpoint.Obj("conditions").Bool("ready") == true && endpoint.Str("nodeName") is { Length: > 0 } node)
                {
                    (result.TryGetValue(key, out var nodes) ? nodes : result[key] = new HashSet<string>(StringComparer.Ordinal)).Add(node);
                }
            }
        }

        return result;
    }

    /// <summary>What ServiceLB reads of one slice, to skip changes that cannot move an address.</summary>
    public static string Facts(JsonObject slice)
    {
        var nodes = ReadyPodNodes([slice]);
        return $"{ObjectKeys.Namespace(slice)}|{slice.Obj("metadata").Obj("labels").Str(EndpointsController.ServiceNameLabel)}|{string.Join(',', nodes.Values.SelectMany(n => n).Order(StringComparer.Ordinal))}";
    }
}
