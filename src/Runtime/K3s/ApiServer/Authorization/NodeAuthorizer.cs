using K3sLab.K3s.ApiServer.Authentication;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>What the node authorizer needs to know about the cluster: which node each pod is bound to, and what a node's pods refer to.</summary>
internal interface INodeGraph
{
    /// <summary>The node the pod is bound to, or null when the pod does not exist or is unscheduled.</summary>
    string? NodeOfPod(string ns, string pod);

    /// <summary>Whether a pod bound to <paramref name="node"/> mounts or references the secret, configmap or service account.</summary>
    bool NodeReferences(string node, string resource, string ns, string name);
}

/// <summary>
/// The node authorizer: a kubelet (<c>system:node:&lt;name&gt;</c> in group <c>system:nodes</c>) may touch only its own
/// Node and Lease, the status of pods bound to it (and delete them once stopped), and the secrets, configmaps and service-account tokens those
/// pods use (and the claims they mount, and those claims' volumes). It may read pods, nodes and services cluster-wide, write events, and
/// review tokens and access for its own API, as the kubelet must. Any other
/// request gets no opinion here (RBAC decides), so this never grants a node more than the rules below.
/// </summary>
internal static class NodeAuthorizer
{
    private const string NodeUserPrefix = "system:node:";
    private const string NodesGroup = "system:nodes";

    /// <summary>
    /// Confirms a refusal that rests on the graph against the store: the graph follows the pods through a watch, so a
    /// kubelet that saw a new pod before the graph did (it asks for the pod's secret at once) would be refused. For
    /// such a request only, the namespace's pods are listed live and the rules are asked again over them. False when
    /// the rules would refuse whatever the graph said, or when the live pods refuse too.
    /// </summary>
    public static async Task<bool> AllowsLiveAsync(UserInfo user, AccessRequest request, Storage.ObjectStorage storage, CancellationToken cancellationToken)
    {
        if (!user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) || !Allows(user, request, new AnyGraph(user.Name[NodeUserPrefix.Length..])))
        {
            return false;
        }

        if (request is { Group: "", Resource: "persistentvolumes" })
        {
            return await MountsVolumeAsync(user.Name[NodeUserPrefix.Length..], request.Name, storage, cancellationToken).ConfigureAwait(false);
        }

        var live = await PodNodeGraph.OfNamespaceAsync(storage, request.Namespace, cancellationToken).ConfigureAwait(false);
        return Allows(user, request, live);
    }

    /// <summary>
    /// The graph's PVC-to-PV edge, read live: whether a claim bound to the volume is mounted by a pod on the node.
    /// A kubelet asks for a volume once per pod start and volume refresh, so the claims are listed then.
    /// </summary>
    private static async Task<bool> MountsVolumeAsync(string node, string volume, Storage.ObjectStorage storage, CancellationToken cancellationToken)
    {
        var claims = await storage.ListAsync(new Storage.ResourceKind(string.Empty, "persistentvolumeclaims", true), string.Empty, 0, null, 0, cancellationToken).ConfigureAwait(false);
        foreach (var claim in claims.Items.Where(c => c["spec"]?["volumeName"]?.GetValue<string>() == volume))
        {
            var ns = claim["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
            var live = await PodNodeGraph.OfNamespaceAsync(storage, ns, cancellationToken).ConfigureAwait(false);
            if (live.NodeReferences(node, "persistentvolumeclaims", ns, claim["metadata"]?["name"]?.GetValue<string>() ?? string.Empty))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True to allow; false for no opinion.</summary>
    public static bool Allows(UserInfo user, AccessRequest request, INodeGraph graph)
    {
        if (!user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) || !user.Groups.Contains(NodesGroup) || !request.IsResourceRequest)
        {
            return false;
        }

        var node = user.Name[NodeUserPrefix.Length..];
        return (request.Group, request.Resource, request.Subresource) switch
        {
            ("", "nodes", "") when request.Verb is "get" or "list" or "watch" => true,
            ("", "nodes", "" or "status") when request.Verb is "create" or "update" or "patch" => request.Name == node || (request.Verb == "create" && request.Name.Length == 0),
            ("coordination.k8s.io", "leases", "") when request.Namespace == "kube-node-lease" => request.Name == node || (request.Verb == "create" && request.Name.Length == 0),
            ("", "pods", "") when request.Verb is "get" or "list" or "watch" => true,
            ("", "pods", "") when request.Verb == "delete" => graph.NodeOfPod(request.Namespace, request.Name) == node,
            ("", "pods", "status") when request.Verb is "update" or "patch" => graph.NodeOfPod(request.Namespace, request.Name) == node,
            ("", "events", "") or ("events.k8s.io", "events", "") when request.Verb is "create" or "update" or "patch" => true,
            ("", "services" or "endpoints", "") or ("discovery.k8s.io", "endpointslices", "") when request.Verb is "get" or "list" or "watch" => true,
            ("", "secrets" or "configmaps", "") when request.Verb == "get" => graph.NodeReferences(node, request.Resource, request.Namespace, request.Name),
            ("", "serviceaccounts", "token") when request.Verb == "create" => graph.NodeReferences(node, "serviceaccounts", request.Namespace, request.Name),
            ("", "persistentvolumeclaims", "") when request.Verb == "get" => graph.NodeReferences(node, "persistentvolumeclaims", request.Namespace, request.Name),
            ("", "persistentvolumes", "") when request.Verb == "get" => graph.NodeReferences(node, "persistentvolumes", string.Empty, request.Name),
            ("authentication.k8s.io", "tokenreviews", "") or ("authorization.k8s.io", "subjectaccessreviews", "") when request.Verb == "create" => true,
            _ => false,
        };
    }
}

/// <summary>A graph in which every pod is on the node and references everything: what the rules allow that node at most.</summary>
file sealed class AnyGraph(string node) : INodeGraph
{
    public string? NodeOfPod(string ns, string pod) => node;

    public bool NodeReferences(string node, string resource, string ns, string name) => true;
}
