using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>
/// The <c>kube-system/kube-dns</c> Service k3s's CoreDNS manifest creates (cluster IP <c>--cluster-dns</c>, ports
/// <c>dns</c> 53/UDP and <c>dns-tcp</c> 53/TCP, label <c>k8s-app=kube-dns</c>), here without a selector: the cluster
/// DNS runs inside every server, so the servers write its Endpoints and EndpointSlice themselves, listing the same
/// live server addresses as the <c>kubernetes</c> Service (<see cref="ApiServerLeases"/>). A server started with
/// <c>--disable coredns</c> removes the three objects, as k3s removes a disabled component's.
/// </summary>
internal static class ClusterDnsService
{
    public const string Namespace = "kube-system";
    public const string Name = "kube-dns";

    /// <summary>The label by which the server knows the objects are its own (the only ones <c>--disable coredns</c> deletes).</summary>
    public const string ManagedLabel = "k3s.cattle.io/cluster-dns";

    private static readonly ResourceKind Services = new(string.Empty, "services", true);
    private static readonly ResourceKind Endpoints = new(string.Empty, "endpoints", true);
    private static readonly ResourceKind EndpointSlices = new("discovery.k8s.io", "endpointslices", true);

    /// <summary>Creates the Service when it is missing; a Service of that name someone else made is left alone.</summary>
    public static async Task EnsureAsync(ObjectStorage storage, IPAddress clusterIp, TimeProvider time, CancellationToken ct)
    {
        var service = new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = Metadata(time),
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = clusterIp.ToString(),
                ["clusterIPs"] = new JsonArray(clusterIp.ToString()),
                ["ipFamilies"] = new JsonArray("IPv4"),
                ["ipFamilyPolicy"] = "SingleStack",
                ["internalTrafficPolicy"] = "Cluster",
                ["sessionAffinity"] = "None",
                ["ports"] = new JsonArray(
                    new JsonObject { ["name"] = "dns", ["port"] = 53, ["protocol"] = "UDP", ["targetPort"] = 53 },
                    new JsonObject { ["name"] = "dns-tcp", ["port"] = 53, ["protocol"] = "TCP", ["targetPort"] = 53 }),
            },
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
        };
        await CreateOnceAsync(storage, Services, service, ct);
    }

    /// <summary>Writes the server addresses into the Endpoints and the EndpointSlice when they differ (a 409 goes to the caller).</summary>
    public static async Task UpdateAsync(ObjectStorage storage, IReadOnlyList<string> addresses, TimeProvider time, CancellationToken ct)
    {
        var ports = new JsonArray(
            new JsonObject { ["name"] = "dns", ["port"] = 53, ["protocol"] = "UDP" },
            new JsonObject { ["name"] = "dns-tcp", ["port"] = 53, ["protocol"] = "TCP" });
        var subsets = addresses.Count == 0 ? new JsonArray() : new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject { ["ip"] = a })]),
            ["ports"] = ports.DeepClone(),
        });
        var endpoints = new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(a),
            ["conditions"] = new JsonObject { ["ready"] = true },
        })]);

        var endpointsObject = new JsonObject { ["kind"] = "Endpoints", ["apiVersion"] = "v1", ["metadata"] = Metadata(time), ["subsets"] = subsets.DeepClone() };
        if (!await CreateOnceAsync(storage, Endpoints, endpointsObject, ct))
        {
            var current = await storage.GetAsync(Endpoints, Namespace, Name, ct);
            if (!JsonNode.DeepEquals(current.Object["subsets"], subsets))
            {
                await storage.UpdateAsync(Endpoints, Namespace, Name, current.ResourceVersion, obj =>
                {
                    obj["subsets"] = subsets.DeepClone();
                    return obj;
                }, ct);
            }
        }

        var sliceMetadata = Metadata(time);
        sliceMetadata["labels"]!["kubernetes.io/service-name"] = Name;
        var slice = new JsonObject
        {
            ["kind"] = "EndpointSlice",
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["metadata"] = sliceMetadata,
            ["addressType"] = "IPv4",
            ["endpoints"] = endpoints.DeepClone(),
            ["ports"] = ports.DeepClone(),
        };
        if (!await CreateOnceAsync(storage, EndpointSlices, slice, ct))
        {
            var current = await storage.GetAsync(EndpointSlices, Namespace, Name, ct);
            if (!JsonNode.DeepEquals(current.Object["endpoints"], endpoints))
            {
                await storage.UpdateAsync(EndpointSlices, Namespace, Name, current.ResourceVersion, obj =>
                {
                    obj["endpoints"] = endpoints.DeepClone();
                    obj["ports"] = ports.DeepClone();
                    return obj;
                }, ct);
            }
        }
    }

    /// <summary>Deletes the Service, Endpoints and EndpointSlice when they are the servers' own (<see cref="ManagedLabel"/>).</summary>
    public static async Task RemoveAsync(ObjectStorage storage, CancellationToken ct)
    {
        foreach (var kind in new[] { EndpointSlices, Endpoints, Services })
        {
            try
            {
                var current = await storage.GetAsync(kind, Namespace, Name, ct);
                if (current.Object["metadata"]?["labels"]?[ManagedLabel] is not null)
                {
                    await storage.DeleteAsync(kind, Namespace, Name, current.ResourceVersion, ct);
                }
            }
            catch (ApiStatusException e) when (e.Code is 404 or 409)
            {
            }
        }
    }

    private static async Task<bool> CreateOnceAsync(ObjectStorage storage, ResourceKind kind, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await storage.CreateAsync(kind, Namespace, Name, obj, ct);
            return true;
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            return false;
        }
    }

    private static JsonObject Metadata(TimeProvider time)
    {
        var metadata = new JsonObject
        {
            ["name"] = Name,
            ["namespace"] = Namespace,
            ["labels"] = new JsonObject
            {
                ["k8s-app"] = "kube-dns",
                ["kubernetes.io/cluster-service"] = "true",
                ["kubernetes.io/name"] = "KubeDNS",
                [ManagedLabel] = "true",
            },
        };
        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        return metadata;
    }
}
