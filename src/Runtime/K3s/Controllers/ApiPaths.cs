using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Controllers;

/// <summary>REST paths of the built-in kinds controllers write, and the kinds they cache.</summary>
internal static class ApiPaths
{
    public static readonly ResourceKind Pods = new(string.Empty, "pods", true);
    public static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);
    public static readonly ResourceKind Namespaces = new(string.Empty, "namespaces", false);
    public static readonly ResourceKind Services = new(string.Empty, "services", true);
    public static readonly ResourceKind Endpoints = new(string.Empty, "endpoints", true);
    public static readonly ResourceKind ServiceAccounts = new(string.Empty, "serviceaccounts", true);
    public static readonly ResourceKind PersistentVolumeClaims = new(string.Empty, "persistentvolumeclaims", true);
    public static readonly ResourceKind PersistentVolumes = new(string.Empty, "persistentvolumes", false);
    public static readonly ResourceKind StorageClasses = new("storage.k8s.io", "storageclasses", false);
    public static readonly ResourceKind ConfigMaps = new(string.Empty, "configmaps", true);
    public static readonly ResourceKind Events = new(string.Empty, "events", true);
    public static readonly ResourceKind ReplicaSets = new("apps", "replicasets", true);
    public static readonly ResourceKind Deployments = new("apps", "deployments", true);
    public static readonly ResourceKind DaemonSets = new("apps", "daemonsets", true);
    public static readonly ResourceKind StatefulSets = new("apps", "statefulsets", true);
    public static readonly ResourceKind ControllerRevisions = new("apps", "controllerrevisions", true);
    public static readonly ResourceKind ReplicationControllers = new(string.Empty, "replicationcontrollers", true);
    public static readonly ResourceKind PodDisruptionBudgets = new("policy", "poddisruptionbudgets", true);
    public static readonly ResourceKind Jobs = new("batch", "jobs", true);
    public static readonly ResourceKind CronJobs = new("batch", "cronjobs", true);
    public static readonly ResourceKind EndpointSlices = new("discovery.k8s.io", "endpointslices", true);
    public static readonly ResourceKind Leases = new("coordination.k8s.io", "leases", true);
    public static readonly ResourceKind HorizontalPodAutoscalers = new("autoscaling", "horizontalpodautoscalers", true);
    public static readonly ResourceKind CertificateSigningRequests = new("certificates.k8s.io", "certificatesigningrequests", false);

    /// <summary>
    /// <c>/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}</c> (or <c>/apis/{group}/v1/...</c>); empty
    /// <paramref name="name"/> gives the collection. Kinds are written at v1 unless <paramref name="version"/> says
    /// otherwise (HorizontalPodAutoscalers are written at v2, the version their status is shaped for).
    /// </summary>
    public static string For(ResourceKind kind, string ns, string name = "", string subresource = "", string version = "v1")
    {
        var root = kind.Group.Length == 0 ? $"/api/{version}" : $"/apis/{kind.Group}/{version}";
        var path = kind.Namespaced ? $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{kind.Resource}" : $"{root}/{kind.Resource}";
        if (name.Length > 0)
        {
            path += "/" + Uri.EscapeDataString(name);
        }

        return subresource.Length > 0 ? path + "/" + subresource : path;
    }
}
