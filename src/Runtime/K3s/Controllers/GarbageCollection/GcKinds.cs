using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Controllers.GarbageCollection;

/// <summary>
/// A kind the garbage collector watches: its API group, <c>kind</c> as ownerReferences name it, and its store kind.
/// <paramref name="MetadataOnly"/> marks kinds no controller reads whole: the collector caches only their metadata,
/// which is all it reads, instead of holding every object whole: their data, and Secrets' values, stay out of the
/// controller manager's memory.
/// </summary>
internal sealed record GcKind(string Group, string Kind, ResourceKind Resource, bool MetadataOnly = false)
{
    /// <summary>The work-queue key of one object of this kind: <c>resource.group|namespace/name</c>.</summary>
    public string Key(string ns, string name) => $"{Resource.Resource}.{Group}|{ns}/{name}";
}

/// <summary>
/// The fixed set of kinds the garbage collector watches, both as dependents and as owners: the kinds that carry
/// ownerReferences in practice (workload objects and their pods and revisions, endpoint slices, node leases) and the
/// plain kinds users and charts hang off owners (configmaps, secrets, services, serviceaccounts), plus Nodes (owners
/// of their Leases). An owner of any other kind (a custom resource, say) cannot be resolved, so its dependents are
/// left alone, as upstream does with an owner kind discovery does not know.
/// </summary>
internal static class GcKinds
{
    public static readonly IReadOnlyList<GcKind> All =
    [
        new(string.Empty, "Pod", ApiPaths.Pods),
        new(string.Empty, "ConfigMap", ApiPaths.ConfigMaps, MetadataOnly: true),
        new(string.Empty, "Secret", new ResourceKind(string.Empty, "secrets", true), MetadataOnly: true),
        new(string.Empty, "Service", ApiPaths.Services),
        new(string.Empty, "ServiceAccount", ApiPaths.ServiceAccounts),
        new(string.Empty, "Node", ApiPaths.Nodes),
        new("apps", "ReplicaSet", ApiPaths.ReplicaSets),
        new("apps", "Deployment", ApiPaths.Deployments),
        new("apps", "DaemonSet", ApiPaths.DaemonSets),
        new("apps", "StatefulSet", ApiPaths.StatefulSets),
        new("apps", "ControllerRevision", ApiPaths.ControllerRevisions),
        new("batch", "Job", ApiPaths.Jobs),
        new("batch", "CronJob", ApiPaths.CronJobs),
        new("discovery.k8s.io", "EndpointSlice", ApiPaths.EndpointSlices),
        new("coordination.k8s.io", "Lease", ApiPaths.Leases),
    ];

    /// <summary>The kind an ownerReference names (<c>apiVersion</c> as <c>group/version</c> or <c>v1</c>), or null when not watched.</summary>
    public static GcKind? ForOwner(string? apiVersion, string? kind)
    {
        if (apiVersion is null || kind is null)
        {
            return null;
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? string.Empty : apiVersion[..slash];
        return All.FirstOrDefault(k => k.Group == group && k.Kind == kind);
    }

    /// <summary>The kind and object named by a key made by <see cref="GcKind.Key"/>.</summary>
    public static (GcKind Kind, string Namespace, string Name)? Parse(string key)
    {
        var bar = key.IndexOf('|', StringComparison.Ordinal);
        var slash = key.IndexOf('/', bar + 1);
        if (bar < 0 || slash < 0)
        {
            return null;
        }

        var kind = All.FirstOrDefault(k => $"{k.Resource.Resource}.{k.Group}" == key[..bar]);
        return kind is null ? null : (kind, key[(bar + 1)..slash], key[(slash + 1)..]);
    }
}
