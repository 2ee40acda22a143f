using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Endpoints;

/// <summary>One pod behind a Service: its address, readiness and the ports it serves, by Service port name.</summary>
internal sealed record ServiceEndpoint(string Ip, string PodName, string PodUid, string Namespace, string NodeName, bool Ready, bool Serving, bool Terminating, IReadOnlyDictionary<string, int> Ports);

/// <summary>A Service port as endpoints publish it: name, protocol and, once resolved per pod, the number.</summary>
internal sealed record EndpointPort(string Name, string Protocol, string? AppProtocol);

/// <summary>
/// The pure part of the endpoints and endpointslice controllers: which pods back a Service, with which target
/// ports. A pod counts when the Service's selector matches it, it has an IP and it has not finished; it is ready when
/// its Ready condition is True and it is not being deleted (or always, with <c>publishNotReadyAddresses</c>).
/// A named <c>targetPort</c> resolves per pod through its containers' port names; a pod lacking the name does not
/// serve that port (upstream's rule).
/// </summary>
internal static class ServiceEndpoints
{
    /// <summary>Whether the controllers manage this Service's endpoints (it has a selector and is not ExternalName).</summary>
    public static bool Managed(JsonObject service) =>
        service.Obj("spec").Obj("selector") is { Count: > 0 } && service.Obj("spec").Str("type") != "ExternalName";

    public static IReadOnlyList<EndpointPort> Ports(JsonObject service) =>
        [.. service.Obj("spec").Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>()
            .Select(p => new EndpointPort(p.Str("name") ?? string.Empty, p.Str("protocol") ?? "TCP", p.Str("appProtocol")))];

    /// <summary>The Service's endpoints from the namespace's pods, ordered by address then pod name.</summary>
    public static IReadOnlyList<ServiceEndpoint> From(JsonObject service, IEnumerable<JsonObject> podsInNamespace)
    {
        var selector = service.Obj("spec").Obj("selector");
        var publishNotReady = service.Obj("spec").Bool("publishNotReadyAddresses") == true;
        var ports = service.Obj("spec").Arr("ports").Items().Select(p => p.Item as JsonObject).OfType<JsonObject>().ToList();
        var result = new List<ServiceEndpoint>();
        foreach (var pod in podsInNamespace)
        {
            var ip = pod.Obj("status").Str("podIP");
            if (string.IsNullOrEmpty(ip) || PodState.Phase(pod) is "Succeeded" or "Failed" || !Selects(selector, pod))
            {
                continue;
            }

            var resolved = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var port in ports)
            {
                if (TargetPort(port, pod) is { } number)
                {
                    resolved[port.Str("name") ?? string.Empty] = number;
                }
            }

            var terminating = ObjectKeys.IsDeleting(pod);
            var podReady = PodState.IsReady(pod);
            result.Add(new ServiceEndpoint(
                ip,
                ObjectKeys.Name(pod),
                ObjectKeys.Uid(pod),
                ObjectKeys.Namespace(pod),
                PodState.NodeName(pod),
                publishNotReady || (podReady && !terminating),
                publishNotReady || podReady,
                terminating,
                resolved));
        }

        return [.. result.OrderBy(e => e.Ip, StringComparer.Ordinal).ThenBy(e => e.PodName, StringComparer.Ordinal)];
    }

    private static bool Selects(JsonObject? selector, JsonObject pod)
    {
        var labels = pod.Obj("metadata").Obj("labels");
        return selector is { Count: > 0 } && selector.Entries().All(e => labels.Str(e.Key) == e.Value);
    }

    private static int? TargetPort(JsonObject port, JsonObject pod)
    {
        var target = port["targetPort"];
        if (target is null)
        {
            return (int?)port.Long("port");
        }

        if (JsonFields.AsLong(target) is { } number)
        {
            return (int)number;
        }

        var name = JsonFields.AsString(target);
        if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var numeric))
        {
            return numeric;
        }

        var protocol = port.Str("protocol") ?? "TCP";
        foreach (var (_, container) in pod.Obj("spec").Arr("containers").Items())
        {
            foreach (var (_, containerPort) in container.Arr("ports").Items())
            {
                if (containerPort.Str("name") == name && (containerPort.Str("protocol") ?? "TCP") == protocol && containerPort.Long("containerPort") is { } found)
                {
                    return (int)found;
                }
            }
        }

        return null;
    }
}
