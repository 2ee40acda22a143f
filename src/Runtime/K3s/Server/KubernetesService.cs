using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>
/// The <c>default/kubernetes</c> Service and its Endpoints, as kube-apiserver's endpoint reconciler keeps them: a
/// ClusterIP Service on the first address of the service range, port 443 (<c>https</c>) to the API server's port, and
/// Endpoints naming this server's advertised address. Pods reach the API through it.
/// </summary>
internal static class KubernetesService
{
    private static readonly ResourceKind Services = new(string.Empty, "services", true);
    private static readonly ResourceKind Endpoints = new(string.Empty, "endpoints", true);

    public static async Task EnsureAsync(ObjectStorage storage, IPAddress clusterIp, string advertise, int port, TimeProvider time, CancellationToken ct)
    {
        var labels = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" };
        await CreateOnceAsync(storage, Services, Service(clusterIp, port, labels, time), ct);
        var endpoints = EndpointsObject(advertise, port, labels, time);
        if (!await CreateOnceAsync(storage, Endpoints, endpoints, ct))
        {
            await storage.UpdateAsync(Endpoints, "default", "kubernetes", null, current =>
            {
                current["subsets"] = endpoints["subsets"]!.DeepClone();
                return current;
            }, ct);
        }
    }

    private static async Task<bool> CreateOnceAsync(ObjectStorage storage, ResourceKind kind, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await storage.CreateAsync(kind, "default", "kubernetes", obj, ct);
            return true;
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            return false;
        }
    }

    private static JsonObject Service(IPAddress clusterIp, int port, JsonObject labels, TimeProvider time) => new()
    {
        ["kind"] = "Service",
        ["apiVersion"] = "v1",
        ["metadata"] = Metadata(labels, time),
        ["spec"] = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["clusterIP"] = clusterIp.ToString(),
            ["clusterIPs"] = new JsonArray(clusterIp.ToString()),
            ["ipFamilies"] = new JsonArray("IPv4"),
            ["ipFamilyPolicy"] = "SingleStack",
            ["internalTrafficPolicy"] = "Cluster",
            ["sessionAffinity"] = "None",
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = port }),
        },
        ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
    };

    private static JsonObject EndpointsObject(string advertise, int port, JsonObject labels, TimeProvider time) => new()
    {
        ["kind"] = "Endpoints",
        ["apiVersion"] = "v1",
        ["metadata"] = Metadata(labels, time),
        ["subsets"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = advertise }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
        }),
    };

    private static JsonObject Metadata(JsonObject labels, TimeProvider time)
    {
        var metadata = new JsonObject { ["name"] = "kubernetes", ["namespace"] = "default", ["labels"] = labels.DeepClone() };
        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        return metadata;
    }
}
