using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources.Services;

/// <summary>
/// Gives Services their cluster IP (from <c>--service-cidr</c>, 10.43.0.0/16 by default, whose first address is the
/// <c>kubernetes</c> Service's) and node ports (30000-32767; a LoadBalancer Service with <c>externalTrafficPolicy:
/// Local</c> also gets its <c>healthCheckNodePort</c> from them), as kube-apiserver's allocators do: a requested address
/// or port is checked against the range and against every other Service, a missing one is picked at random among the
/// free ones, and an update that leaves them out keeps the ones the Service has. Allocation and the create it guards
/// run under one lock, so two creates cannot take the same address on this server.
/// </summary>
internal sealed class ServiceAddresses(ObjectStorage storage, IPNetwork range)
{
    public const int FirstNodePort = 30000;
    public const int LastNodePort = 32767;

    private static readonly ResourceKind Services = new(string.Empty, "services", true);
    private readonly SemaphoreSlim _lock = new(1, 1);

    public IPNetwork Range => range;

    /// <summary>The first usable address of the range, the <c>kubernetes</c> Service's.</summary>
    public IPAddress First => Offset(1);

    /// <summary>Allocates the new Service's addresses and runs <paramref name="create"/> while no other allocation can run.</summary>
    public async Task<T> CreateAsync<T>(JsonObject service, Func<Task<T>> create, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Allocate(service, old: null, await ListAsync(ct).ConfigureAwait(false));
            return await create().ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Every Service, for <see cref="PrepareUpdate"/> (read before the update's own read-modify-write).</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(CancellationToken ct) =>
        (await storage.ListAsync(Services, string.Empty, 0, null, 0, ct).ConfigureAwait(false)).Items;

    /// <summary>An update keeps what the Service was given when the new body leaves it out, and gets node ports for new ports.</summary>
    public void PrepareUpdate(JsonObject service, JsonObject old, IReadOnlyList<JsonObject> all)
    {
        var spec = service["spec"] as JsonObject;
        var oldSpec = old["spec"] as JsonObject;
        if (spec is null || oldSpec is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(Text(spec["clusterIP"])) && Text(oldSpec["clusterIP"]) is { Length: > 0 } ip && Text(spec["type"]) != "ExternalName")
        {
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = oldSpec["clusterIPs"]?.DeepClone() ?? new JsonArray(ip);
        }

        if (NeedsNodePorts(spec))
        {
            var oldPorts = (oldSpec["ports"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            foreach (var port in (spec["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (port["nodePort"] is null && oldPorts.FirstOrDefault(p => p["port"]?.ToJsonString() == port["port"]?.ToJsonString() && Text(p["protocol"]) == Text(port["protocol"]))?["nodePort"] is { } kept)
                {
                    port["nodePort"] = kept.DeepClone();
                }
            }
        }
        else
        {
            foreach (var port in (spec["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                port.Remove("nodePort");
            }
        }

        var oldHealth = Port(oldSpec["healthCheckNodePort"]);
        if (NeedsHealthCheckPort(spec) && Port(spec["healthCheckNodePort"]) == 0 && oldHealth > 0)
        {
            spec["healthCheckNodePort"] = oldHealth;
        }
        else if (!NeedsHealthCheckPort(spec) && Port(spec["healthCheckNodePort"]) == oldHealth)
        {
            // The type or policy changed: the port is released, as kube-apiserver drops it.
            spec.Remove("healthCheckNodePort");
        }

        Allocate(service, old, all);
    }

    private void Allocate(JsonObject service, JsonObject? old, IReadOnlyList<JsonObject> all)
    {
        if (service["spec"] is not JsonObject spec)
        {
            return;
        }

        var name = Text(service["metadata"]?["name"]);
        var others = all.Where(s => old is null || Text(s["metadata"]?["uid"]) != Text(old["metadata"]?["uid"])).ToList();
        var causes = new List<StatusCause>();
        if (Text(spec["type"]) == "ExternalName")
        {
            spec.Remove("clusterIP");
            spec.Remove("clusterIPs");
        }
        else if (Text(spec["clusterIP"]) == "None")
        {
            spec["clusterIPs"] = new JsonArray("None");
            Families(spec);
        }
        else if (old is null || Text(spec["clusterIP"]) != Text(old["spec"]?["clusterIP"]))
        {
            var used = others.Select(s => Text(s["spec"]?["clusterIP"])).Where(ip => ip.Length > 0).ToHashSet(StringComparer.Ordinal);
            var asked = Text(spec["clusterIP"]);
            if (asked.Length > 0)
            {
                if (!IPAddress.TryParse(asked, out var address) || address.AddressFamily != AddressFamily.InterNetwork || !range.Contains(address))
                {
                    causes.Add(ClusterIpCause(asked, $"the provided IP ({asked}) is not in the valid range. The range of valid IPs is {range}"));
                }
                else if (used.Contains(asked))
                {
                    causes.Add(ClusterIpCause(asked, "provided IP is already allocated"));
                }
            }
            else
            {
                asked = PickAddress(used) ?? throw ApiErrors.Internal($"failed to allocate a service IP: range is full ({range})");
                spec["clusterIP"] = asked;
            }

            spec["clusterIPs"] = new JsonArray(asked);
            Families(spec);
        }

        var usedPorts = others.SelectMany(s => (s["spec"]?["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(p => Port(p["nodePort"])).Concat(others.Select(s => Port(s["spec"]?["healthCheckNodePort"]))).Where(n => n > 0).ToHashSet();
        if (NeedsNodePorts(spec))
        {
            var oldPorts = ((old?["spec"]?["ports"] as JsonArray)?.OfType<JsonObject>() ?? []).Select(p => Port(p["nodePort"])).ToHashSet();
            var ports = (spec["ports"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            for (var i = 0; i < ports.Count; i++)
            {
                var nodePort = Port(ports[i]["nodePort"]);
                if (nodePort != 0)
                {
                    if (nodePort is < FirstNodePort or > LastNodePort)
                    {
                        causes.Add(new("FieldValueInvalid", $"Invalid value: {nodePort}: provided port is not in the valid range. The range of valid ports is {FirstNodePort}-{LastNodePort}", $"spec.ports[{i}].nodePort"));
                    }
                    else if (usedPorts.Contains(nodePort) && !oldPorts.Contains(nodePort))
                    {
                        causes.Add(new("FieldValueInvalid", $"Invalid value: {nodePort}: provided port is already allocated", $"spec.ports[{i}].nodePort"));
                    }

                    usedPorts.Add(nodePort);
                    continue;
                }

                var picked = PickPort(usedPorts) ?? throw ApiErrors.Internal($"failed to allocate a node port: range is full ({FirstNodePort}-{LastNodePort})");
                ports[i]["nodePort"] = picked;
                usedPorts.Add(picked);
            }
        }

        AllocateHealthCheckPort(spec, old, usedPorts, causes);
        if (causes.Count > 0)
        {
            throw ApiErrors.Invalid(string.Empty, "Service", name, causes);
        }
    }

    /// <summary>
    /// <c>spec.healthCheckNodePort</c>: a LoadBalancer Service with <c>externalTrafficPolicy: Local</c> gets one from the
    /// node port range (the one asked for, if free), where each node's proxy answers with its count of local endpoints;
    /// any other Service may not set it.
    /// </summary>
    private static void AllocateHealthCheckPort(JsonObject spec, JsonObject? old, HashSet<int> usedPorts, List<StatusCause> causes)
    {
        var asked = Port(spec["healthCheckNodePort"]);
        if (!NeedsHealthCheckPort(spec))
        {
            if (asked != 0)
            {
                causes.Add(new("FieldValueInvalid", $"Invalid value: {asked}: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'", "spec.healthCheckNodePort"));
            }

            return;
        }

        if (asked == 0)
        {
            spec["healthCheckNodePort"] = PickPort(usedPorts) ?? throw ApiErrors.Internal($"failed to allocate a health check node port: range is full ({FirstNodePort}-{LastNodePort})");
        }
        else if (asked is < FirstNodePort or > LastNodePort)
        {
            causes.Add(new("FieldValueInvalid", $"Invalid value: {asked}: provided port is not in the valid range. The range of valid ports is {FirstNodePort}-{LastNodePort}", "spec.healthCheckNodePort"));
        }
        else if (usedPorts.Contains(asked) && asked != Port(old?["spec"]?["healthCheckNodePort"]))
        {
            causes.Add(new("FieldValueInvalid", $"Invalid value: {asked}: provided port is already allocated", "spec.healthCheckNodePort"));
        }
    }

    private static bool NeedsNodePorts(JsonObject spec) => Text(spec["type"]) is "NodePort" or "LoadBalancer";

    private static bool NeedsHealthCheckPort(JsonObject spec) => Text(spec["type"]) == "LoadBalancer" && Text(spec["externalTrafficPolicy"]) == "Local";

    private static int Port(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    private static void Families(JsonObject spec)
    {
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
    }

    private static StatusCause ClusterIpCause(string ip, string why) =>
        new("FieldValueInvalid", $"Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {why}", "spec.clusterIPs");

    /// <summary>A random free address, skipping the network address, the <c>kubernetes</c> Service's and the broadcast address.</summary>
    private string? PickAddress(HashSet<string> used)
    {
        var size = 1L << (32 - range.PrefixLength);
        if (size < 4)
        {
            return null;
        }

        for (var attempt = 0; attempt < 64; attempt++)
        {
            var candidate = Offset(RandomNumberGenerator.GetInt32(2, (int)Math.Min(size - 1, int.MaxValue))).ToString();
            if (!used.Contains(candidate))
            {
                return candidate;
            }
        }

        for (long offset = 2; offset < size - 1; offset++)
        {
            var candidate = Offset(offset).ToString();
            if (!used.Contains(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int? PickPort(HashSet<int> used)
    {
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var candidate = RandomNumberGenerator.GetInt32(FirstNodePort, LastNodePort + 1);
            if (!used.Contains(candidate))
            {
                return candidate;
            }
        }

        return Enumerable.Range(FirstNodePort, LastNodePort - FirstNodePort + 1).Cast<int?>().FirstOrDefault(p => !used.Contains(p!.Value));
    }

    private IPAddress Offset(long offset)
    {
        var bytes = range.BaseAddress.GetAddressBytes();
        var value = ((long)bytes[0] << 24 | (long)bytes[1] << 16 | (long)bytes[2] << 8 | bytes[3]) + offset;
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }

    private static string Text(JsonNode? node) => Validation.JsonFields.AsString(node) ?? string.Empty;
}
