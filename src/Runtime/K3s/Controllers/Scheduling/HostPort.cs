using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// A host port a pod's container asks for (<c>ports[].hostPort</c>): two conflict when protocol and port are equal
/// and their host IPs are equal or either is the wildcard <c>0.0.0.0</c> (an empty hostIP and protocol read as
/// <c>0.0.0.0</c> and <c>TCP</c>), as upstream's NodePorts plugin decides.
/// </summary>
internal readonly record struct HostPort(string Ip, string Protocol, int Port)
{
    public const string Wildcard = "0.0.0.0";

    /// <summary>The host ports of a pod spec's containers (init containers' ports are not held while the pod runs, as upstream).</summary>
    public static List<HostPort> Of(JsonObject? spec)
    {
        var ports = new List<HostPort>();
        foreach (var (_, container) in spec.Arr("containers").Items())
        {
            foreach (var (_, port) in container.Arr("ports").Items())
            {
                if (port.Long("hostPort") is { } number and > 0)
                {
                    var ip = port.Str("hostIP") is { Length: > 0 } given ? given : Wildcard;
                    ports.Add(new HostPort(ip, port.Str("protocol") is { Length: > 0 } p ? p : "TCP", (int)number));
                }
            }
        }

        return ports;
    }
}
