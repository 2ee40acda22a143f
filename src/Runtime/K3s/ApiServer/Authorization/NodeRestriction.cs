using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// The part of kube-apiserver's NodeRestriction admission the node authorizer cannot decide, because on a create
/// the object's name is only in the body: a kubelet may create only its own Node object and its own Lease in
/// <c>kube-node-lease</c>. Refusals are 403s in NodeRestriction's words. Pure.
/// </summary>
internal static class NodeRestriction
{
    private const string NodePrefix = "system:node:";

    public static void CheckCreate(UserInfo? user, ApiResource resource, string ns, JsonObject body)
    {
        if (user is null || !user.Groups.Contains("system:nodes") || !user.Name.StartsWith(NodePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var node = user.Name[NodePrefix.Length..];
        var name = body["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        switch (resource)
        {
            case { Group: "", Name: "nodes" } when name != node:
                throw ApiErrors.ForbiddenObject(string.Empty, "nodes", name, $"node \"{node}\" is not allowed to modify node \"{name}\"");
            case { Group: "coordination.k8s.io", Name: "leases" } when ns != "kube-node-lease":
                throw ApiErrors.ForbiddenObject(resource.Group, "leases", name, "can only access leases in the \"kube-node-lease\" namespace");
            case { Group: "coordination.k8s.io", Name: "leases" } when name != node:
                throw ApiErrors.ForbiddenObject(resource.Group, "leases", name, "can only access node lease with the same name as the requesting node");
        }
    }
}
