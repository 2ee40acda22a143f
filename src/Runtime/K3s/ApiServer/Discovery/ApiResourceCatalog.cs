namespace K3sLab.K3s.ApiServer.Discovery;

/// <summary>
/// The built-in resources the API server serves, as kube-apiserver 1.33 names them in discovery. Custom resources
/// from CRDs are added at run time by the API layer; this table is the fixed part.
/// </summary>
internal static class ApiResourceCatalog
{
    private static readonly string[] All = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] NoCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] CreateOnly = ["create"];
    private static readonly string[] StatusVerbs = ["get", "patch", "update"];
    private static readonly string[] AllCategory = ["all"];
    private static readonly ApiSubresource Status = new("status", StatusVerbs);

    private static ApiSubresource Scale(string group = "autoscaling") => new("scale", StatusVerbs, "Scale", group, "v1");

    /// <summary>Every built-in resource, grouped by group/version in the order discovery lists them.</summary>
    public static IReadOnlyList<ApiResource> BuiltIn { get; } =
    [
        Core("bindings", "Binding", true, CreateOnly),
        Core("componentstatuses", "ComponentStatus", false, ["get", "list"], ["cs"]),
        Core("configmaps", "ConfigMap", true, All, ["cm"]),
        Core("endpoints", "Endpoints", true, All, ["ep"]),
        Core("events", "Event", true, All, ["ev"]),
        Core("limitranges", "LimitRange", true, All, ["limits"]),
        Core("namespaces", "Namespace", false, NoCollectionDelete, ["ns"], subresources: [new("finalize", ["update"]), Status]),
        Core("nodes", "Node", false, All, ["no"], subresources: [new("proxy", ["create", "delete", "get", "patch", "update"], "NodeProxyOptions"), Status]),
        Core("persistentvolumeclaims", "PersistentVolumeClaim", true, All, ["pvc"], subresources: [Status]),
        Core("persistentvolumes", "PersistentVolume", false, All, ["pv"], subresources: [Status]),
        Core("pods", "Pod", true, All, ["po"], AllCategory,
        [
            new("attach", ["create", "get"], "PodAttachOptions"),
            new("binding", CreateOnly, "Binding"),
            new("eviction", CreateOnly, "Eviction", "policy", "v1"),
            new("exec", ["create", "get"], "PodExecOptions"),
            new("log", ["get"]),
            new("portforward", ["create", "get"], "PodPortForwardOptions"),
            new("proxy", ["create", "delete", "get", "patch", "update"], "PodProxyOptions"),
            Status,
        ]),
        Core("podtemplates", "PodTemplate", true, All),
        Core("replicationcontrollers", "ReplicationController", true, All, ["rc"], AllCategory, [Scale(), Status]),
        Core("resourcequotas", "ResourceQuota", true, All, ["quota"], subresources: [Status]),
        Core("secrets", "Secret", true, All),
        Core("serviceaccounts", "ServiceAccount", true, All, ["sa"], subresources: [new("token", CreateOnly, "TokenRequest", "authentication.k8s.io", "v1")]),
        Core("services", "Service", true, All, ["svc"], AllCategory, [new("proxy", ["create", "delete", "get", "patch", "update"], "ServiceProxyOptions"), Status]),

        Of("apiregistration.k8s.io", "apiservices", "APIService", false, All, categories: ["api-extensions"], subresources: [Status]),

        Of("apps", "controllerrevisions", "ControllerRevision", true, All),
        Of("apps", "daemonsets", "DaemonSet", true, All, ["ds"], AllCategory, [Status]),
        Of("apps", "deployments", "Deployment", true, All, ["deploy"], AllCategory, [Scale(), Status]),
        Of("apps", "replicasets", "ReplicaSet", true, All, ["rs"], AllCategory, [Scale(), Status]),
        Of("apps", "statefulsets", "StatefulSet", true, All, ["sts"], AllCategory, [Scale(), Status]),

        Of("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", false, CreateOnly),
        Of("authentication.k8s.io", "tokenreviews", "TokenReview", false, CreateOnly),

        Of("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, CreateOnly),
        Of("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, CreateOnly),
        Of("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, CreateOnly),
        Of("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", false, CreateOnly),

        // Stored as autoscaling/v2; v1 is served by conversion (Resources/Versions/ServedVersions.cs). v2 comes first: discovery prefers it.
        Of("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, All, ["hpa"], AllCategory, [Status], "v2"),
        Of("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, All, ["hpa"], AllCategory, [Status]),

        Of("batch", "cronjobs", "CronJob", true, All, ["cj"], AllCategory, [Status]),
        Of("batch", "jobs", "Job", true, All, categories: AllCategory, subresources: [Status]),

        Of("certificates.k8s.io", "certificatesigningrequests", "CertificateSigningRequest", false, All, ["csr"], subresources: [new("approval", StatusVerbs), Status]),

        Of("networking.k8s.io", "ingressclasses", "IngressClass", false, All),
        Of("networking.k8s.io", "ingresses", "Ingress", true, All, ["ing"], subresources: [Status]),
        Of("networking.k8s.io", "networkpolicies", "NetworkPolicy", true, All, ["netpol"]),

        Of("coordination.k8s.io", "leases", "Lease", true, All),

        Of("discovery.k8s.io", "endpointslices", "EndpointSlice", true, All),

        Of("events.k8s.io", "events", "Event", true, All, ["ev"]),

        Of("policy", "poddisruptionbudgets", "PodDisruptionBudget", true, All, ["pdb"], subresources: [Status]),

        Of("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", false, All),
        Of("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false, All),
        Of("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", true, All),
        Of("rbac.authorization.k8s.io", "roles", "Role", true, All),

        Of("scheduling.k8s.io", "priorityclasses", "PriorityClass", false, All, ["pc"]),

        Of("storage.k8s.io", "storageclasses", "StorageClass", false, All, ["sc"]),

        Of("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", false, All, ["crd", "crds"], ["api-extensions"], [Status]),
    ];

    /// <summary>The API groups in the order <c>/apis</c> lists them (kube-apiserver puts the core group first, at <c>/api</c>).</summary>
    public static IReadOnlyList<string> Groups { get; } = [.. BuiltIn.Select(r => r.Group).Where(g => g.Length > 0).Distinct()];

    private static ApiResource Core(string name, string kind, bool namespaced, string[] verbs, string[]? shortNames = null, string[]? categories = null, ApiSubresource[]? subresources = null) =>
        Of(string.Empty, name, kind, namespaced, verbs, shortNames, categories, subresources);

    private static ApiResource Of(string group, string name, string kind, bool namespaced, string[] verbs, string[]? shortNames = null, string[]? categories = null, ApiSubresource[]? subresources = null, string version = "v1") =>
        new(group, version, name, kind.ToLowerInvariant(), kind, namespaced, verbs, shortNames ?? [], categories ?? [], subresources ?? []);
}
