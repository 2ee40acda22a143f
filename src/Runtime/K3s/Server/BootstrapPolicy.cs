using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Server;

/// <summary>
/// The default RBAC policy a new cluster starts with, under kube-apiserver's names: <c>cluster-admin</c> bound to
/// <c>system:masters</c>; <c>system:discovery</c>, <c>system:basic-user</c> and <c>system:public-info-viewer</c>
/// bound to every authenticated user; <c>system:monitoring</c> (health and metrics) bound to the group of that
/// name; and the user-facing <c>view</c>, <c>edit</c> and <c>admin</c> roles (flat
/// here, where kube-apiserver aggregates them). Objects are created when missing and never overwritten, so an
/// operator's changes survive restarts. They carry the <c>kubernetes.io/bootstrapping=rbac-defaults</c> label.
/// </summary>
internal static class BootstrapPolicy
{
    private const string Group = "rbac.authorization.k8s.io";
    private const string Certificates = "certificates.k8s.io";
    private static readonly ResourceKind ClusterRoles = new(Group, "clusterroles", false);
    private static readonly ResourceKind ClusterRoleBindings = new(Group, "clusterrolebindings", false);

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] Everything = ["*"];
    private static readonly string[] Get = ["get"];
    private static readonly string[] Create = ["create"];

    /// <summary>Namespaced workload resources the view role reads (secrets excluded, as upstream).</summary>
    private static readonly (string Group, string[] Resources)[] Viewable =
    [
        ("", ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services", "services/status", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces", "namespaces/status"]),
        ("apps", ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
        ("autoscaling", ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        ("batch", ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        ("networking.k8s.io", ["ingresses", "ingresses/status", "networkpolicies"]),
        ("policy", ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        ("discovery.k8s.io", ["endpointslices"]),
        ("coordination.k8s.io", ["leases"]),
        // What k3s's metrics-server manifest adds through system:aggregated-metrics-reader's aggregate-to-view,
        // -edit and -admin labels: kubectl top for whoever may read the namespace.
        ("metrics.k8s.io", ["pods", "nodes"]),
    ];

    /// <summary>What edit may change beyond reading: the view resources minus read-only ones, plus secrets and pod access.</summary>
    private static readonly (string Group, string[] Resources)[] Editable =
    [
        ("", ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "pods/eviction", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "serviceaccounts/token", "services", "services/proxy", "events"]),
        ("apps", ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
        ("autoscaling", ["horizontalpodautoscalers"]),
        ("batch", ["cronjobs", "jobs"]),
        ("networking.k8s.io", ["ingresses", "networkpolicies"]),
        ("policy", ["poddisruptionbudgets"]),
        ("discovery.k8s.io", ["endpointslices"]),
        ("coordination.k8s.io", ["leases"]),
    ];

    private static readonly string[] DiscoveryUrls = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];
    private static readonly string[] PublicUrls = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

    /// <summary>The cluster roles, in creation order.</summary>
    public static IReadOnlyList<RbacRole> Roles { get; } =
    [
        new(string.Empty, "cluster-admin", [Rule(Everything, ["*"], Everything), NonResource(Everything, Everything)]),
        new(string.Empty, "system:discovery", [NonResource(Get, DiscoveryUrls)]),
        new(string.Empty, "system:public-info-viewer", [NonResource(Get, PublicUrls)]),
        new(string.Empty, "system:monitoring", [NonResource(Get, ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"])]),
        new(string.Empty, "system:basic-user",
        [
            Rule(Create, ["authentication.k8s.io"], ["selfsubjectreviews"]),
            Rule(Create, ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
        ]),
        new(string.Empty, "system:kube-controller-manager", [Rule(Everything, ["*"], Everything)]),
        new(string.Empty, "system:node-proxier",
        [
            Rule(["list", "watch"], [string.Empty], ["endpoints", "services"]),
            Rule(Read, [string.Empty], ["nodes"]),
            Rule(["create", "patch", "update"], [string.Empty, "events.k8s.io"], ["events"]),
            Rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        new(string.Empty, "system:kube-scheduler",
        [
            Rule(Read, [string.Empty], ["pods", "nodes", "namespaces", "services", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers"]),
            Rule(Read, ["apps"], ["replicasets", "statefulsets"]),
            Rule(Read, ["policy"], ["poddisruptionbudgets"]),
            Rule(Read, ["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities"]),
            Rule(Create, [string.Empty], ["pods/binding", "bindings"]),
            Rule(["patch", "update"], [string.Empty], ["pods/status"]),
            Rule(["create", "patch", "update"], [string.Empty, "events.k8s.io"], ["events"]),
            Rule([.. Read, "create", "update"], ["coordination.k8s.io"], ["leases"]),
        ]),
        new(string.Empty, "system:volume-scheduler",
        [
            Rule([.. Read, "patch", "update"], [string.Empty], ["persistentvolumes", "persistentvolumeclaims"]),
            Rule(Read, ["storage.k8s.io"], ["storageclasses"]),
        ]),
        new(string.Empty, "system:aggregated-metrics-reader", [Rule(Read, ["metrics.k8s.io"], ["pods", "nodes"])]),
        new(string.Empty, "system:node-bootstrapper", [Rule(["create", "get", "list", "watch"], [Certificates], ["certificatesigningrequests"])]),
        new(string.Empty, "system:certificates.k8s.io:certificatesigningrequests:nodeclient", [Rule(Create, [Certificates], ["certificatesigningrequests/nodeclient"])]),
        new(string.Empty, "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [Rule(Create, [Certificates], ["certificatesigningrequests/selfnodeclient"])]),
        new(string.Empty, "system:certificates.k8s.io:legacy-unknown-approver", [Approve("kubernetes.io/legacy-unknown")]),
        new(string.Empty, "system:certificates.k8s.io:kubelet-serving-approver", [Approve("kubernetes.io/kubelet-serving")]),
        new(string.Empty, "system:certificates.k8s.io:kube-apiserver-client-approver", [Approve("kubernetes.io/kube-apiserver-client")]),
        new(string.Empty, "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [Approve("kubernetes.io/kube-apiserver-client-kubelet")]),
        new(string.Empty, "view", [.. Viewable.Select(v => Rule(Read, [v.Group], v.Resources))]),
        new(string.Empty, "edit", [.. Viewable.Select(v => Rule(Read, [v.Group], v.Resources)), .. Editable.Select(e => Rule(Write, [e.Group], e.Resources)), Rule(Read, [string.Empty], ["secrets"])]),
        new(string.Empty, "admin",
        [
            .. Viewable.Select(v => Rule(Read, [v.Group], v.Resources)),
            .. Editable.Select(e => Rule(Write, [e.Group], e.Resources)),
            Rule(Read, [string.Empty], ["secrets"]),
            Rule([.. Read, .. Write], [Group], ["roles", "rolebindings"]),
            Rule(Create, ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
        ]),
    ];

    /// <summary>The cluster role bindings: (name, role, groups).</summary>
    public static IReadOnlyList<RbacBinding> Bindings { get; } =
    [
        new(string.Empty, "cluster-admin", "ClusterRole", "cluster-admin", [new("Group", "system:masters")]),
        new(string.Empty, "system:discovery", "ClusterRole", "system:discovery", [new("Group", "system:authenticated")]),
        new(string.Empty, "system:kube-controller-manager", "ClusterRole", "system:kube-controller-manager", [new("User", "system:kube-controller-manager")]),
        new(string.Empty, "system:kube-scheduler", "ClusterRole", "system:kube-scheduler", [new("User", "system:kube-scheduler")]),
        new(string.Empty, "system:volume-scheduler", "ClusterRole", "system:volume-scheduler", [new("User", "system:kube-scheduler")]),
        new(string.Empty, "system:node-proxier", "ClusterRole", "system:node-proxier", [new("User", "system:kube-proxy")]),
        new(string.Empty, "system:basic-user", "ClusterRole", "system:basic-user", [new("Group", "system:authenticated")]),
        new(string.Empty, "system:monitoring", "ClusterRole", "system:monitoring", [new("Group", "system:monitoring")]),
        new(string.Empty, "system:public-info-viewer", "ClusterRole", "system:public-info-viewer", [new("Group", "system:authenticated"), new("Group", "system:unauthenticated")]),
    ];

    public static async Task EnsureAsync(ObjectStorage storage, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var role in Roles)
        {
            await CreateIfMissingAsync(storage, ClusterRoles, role.Name, RoleObject(role, time), cancellationToken);
        }

        foreach (var binding in Bindings)
        {
            await CreateIfMissingAsync(storage, ClusterRoleBindings, binding.Name, BindingObject(binding, time), cancellationToken);
        }
    }

    private static async Task CreateIfMissingAsync(ObjectStorage storage, ResourceKind kind, string name, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await storage.CreateAsync(kind, string.Empty, name, obj, ct);
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            // Created on an earlier start, perhaps changed since: left as it is.
        }
    }

    private static JsonObject RoleObject(RbacRole role, TimeProvider time) => new()
    {
        ["kind"] = "ClusterRole",
        ["apiVersion"] = $"{Group}/v1",
        ["metadata"] = Metadata(role.Name, time),
        ["rules"] = new JsonArray([.. role.Rules.Select(r => (JsonNode)RbacObjects.ToJson(r))]),
    };

    private static JsonObject BindingObject(RbacBinding binding, TimeProvider time) => new()
    {
        ["kind"] = "ClusterRoleBinding",
        ["apiVersion"] = $"{Group}/v1",
        ["metadata"] = Metadata(binding.Name, time),
        ["roleRef"] = new JsonObject { ["apiGroup"] = Group, ["kind"] = binding.RoleKind, ["name"] = binding.RoleName },
        ["subjects"] = new JsonArray([.. binding.Subjects.Select(s => (JsonNode)new JsonObject { ["apiGroup"] = Group, ["kind"] = s.Kind, ["name"] = s.Name })]),
    };

    private static JsonObject Metadata(string name, TimeProvider time)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        };
        ObjectDefaults.PrepareCreate(metadata, time.GetUtcNow(), hasSpec: false);
        return metadata;
    }

    private static PolicyRule Rule(string[] verbs, string[] groups, string[] resources) => new(verbs, groups, resources, [], []);

    /// <summary>Leave to approve requests for one signer: the synthetic <c>signers</c> resource that CertificateApproval admission asks about.</summary>
    private static PolicyRule Approve(string signerName) => new(["approve"], [Certificates], ["signers"], [signerName], []);

    private static PolicyRule NonResource(string[] verbs, string[] urls) => new(verbs, [], [], [], urls);
}
