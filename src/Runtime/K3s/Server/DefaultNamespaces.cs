using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>The namespaces every cluster has from its first start, as kube-apiserver's system namespaces controller creates them.</summary>
internal static class DefaultNamespaces
{
    public static readonly string[] Names = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private static readonly ResourceKind Namespaces = new(string.Empty, "namespaces", false);

    public static async Task EnsureAsync(ObjectStorage storage, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var name in Names)
        {
            try
            {
                await storage.CreateAsync(Namespaces, string.Empty, name, Namespace(name, time), cancellationToken);
            }
            catch (ApiStatusException e) when (e.Code == 409)
            {
                // Created on an earlier start.
            }
        }
    }

    /// <summary>A new Namespace as kube-apiserver stores one: the name label, the kubernetes finalizer and phase Active.</summary>
    public static JsonObject Namespace(string name, TimeProvider time)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = name },
        };
        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        return new JsonObject
        {
            ["kind"] = "Namespace",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }
}
