namespace K3sLab.K3s.Controllers;

/// <summary>
/// kube-controller-manager's <c>--controllers</c> list (given here as <c>--kube-controller-manager-arg
/// controllers=...</c>): <c>*</c> enables every controller that is on by default, <c>foo</c> enables foo, <c>-foo</c>
/// disables it, and the first entry naming a controller decides. Names are kube 1.33's (<c>serviceaccount-controller</c>)
/// or their older aliases (<c>serviceaccount</c>); a name kube does not know is refused with its message. Names kube
/// knows but this build does not run are accepted and change nothing.
/// </summary>
internal sealed class ControllerSelection
{
    /// <summary>The default, <c>*</c>.</summary>
    public static ControllerSelection All { get; } = new(["*"]);

    private static readonly string[] Known =
    [
        "bootstrap-signer-controller", "certificatesigningrequest-approving-controller", "certificatesigningrequest-cleaner-controller",
        "certificatesigningrequest-signing-controller", "cloud-node-lifecycle-controller", "clusterrole-aggregation-controller",
        "cronjob-controller", "daemonset-controller", "deployment-controller", "device-taint-eviction-controller", "disruption-controller",
        "endpoints-controller", "endpointslice-controller", "endpointslice-mirroring-controller", "ephemeral-volume-controller",
        "garbage-collector-controller", "horizontal-pod-autoscaler-controller", "job-controller",
        "kube-apiserver-serving-clustertrustbundle-publisher-controller", "legacy-serviceaccount-token-cleaner-controller",
        "namespace-controller", "node-ipam-controller", "node-lifecycle-controller", "node-route-controller",
        "persistentvolume-attach-detach-controller", "persistentvolume-binder-controller", "persistentvolume-expander-controller",
        "persistentvolume-protection-controller", "persistentvolumeclaim-protection-controller", "pod-garbage-collector-controller",
        "podcertificaterequest-cleaner-controller", "replicaset-controller", "replicationcontroller-controller", "resourceclaim-controller",
        "resourcequota-controller", "root-ca-certificate-publisher-controller", "selinux-warning-controller", "service-cidr-controller",
        "service-lb-controller", "serviceaccount-controller", "serviceaccount-token-controller", "statefulset-controller",
        "storage-version-migrator-controller", "storageversion-garbage-collector-controller", "taint-eviction-controller",
        "token-cleaner-controller", "ttl-after-finished-controller", "ttl-controller", "validatingadmissionpolicy-status-controller",
        "volumeattributesclass-protection-controller",
    ];

    private static readonly HashSet<string> DisabledByDefault = ["bootstrap-signer-controller", "selinux-warning-controller", "token-cleaner-controller"];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["endpoint"] = "endpoints-controller",
        ["endpointslice"] = "endpointslice-controller",
        ["endpointslicemirroring"] = "endpointslice-mirroring-controller",
        ["replicationcontroller"] = "replicationcontroller-controller",
        ["podgc"] = "pod-garbage-collector-controller",
        ["resourcequota"] = "resourcequota-controller",
        ["namespace"] = "namespace-controller",
        ["serviceaccount"] = "serviceaccount-controller",
        ["serviceaccount-token"] = "serviceaccount-token-controller",
        ["garbagecollector"] = "garbage-collector-controller",
        ["daemonset"] = "daemonset-controller",
        ["job"] = "job-controller",
        ["deployment"] = "deployment-controller",
        ["replicaset"] = "replicaset-controller",
        ["horizontalpodautoscaling"] = "horizontal-pod-autoscaler-controller",
        ["disruption"] = "disruption-controller",
        ["statefulset"] = "statefulset-controller",
        ["cronjob"] = "cronjob-controller",
        ["csrsigning"] = "certificatesigningrequest-signing-controller",
        ["csrapproving"] = "certificatesigningrequest-approving-controller",
        ["csrcleaner"] = "certificatesigningrequest-cleaner-controller",
        ["ttl"] = "ttl-controller",
        ["bootstrapsigner"] = "bootstrap-signer-controller",
        ["tokencleaner"] = "token-cleaner-controller",
        ["nodeipam"] = "node-ipam-controller",
        ["nodelifecycle"] = "node-lifecycle-controller",
        ["service"] = "service-lb-controller",
        ["route"] = "node-route-controller",
        ["cloud-node-lifecycle"] = "cloud-node-lifecycle-controller",
        ["persistentvolume-binder"] = "persistentvolume-binder-controller",
        ["attachdetach"] = "persistentvolume-attach-detach-controller",
        ["persistentvolume-expander"] = "persistentvolume-expander-controller",
        ["clusterrole-aggregation"] = "clusterrole-aggregation-controller",
        ["pvc-protection"] = "persistentvolumeclaim-protection-controller",
        ["pv-protection"] = "persistentvolume-protection-controller",
        ["ttl-after-finished"] = "ttl-after-finished-controller",
        ["root-ca-cert-publisher"] = "root-ca-certificate-publisher-controller",
        ["ephemeral-volume"] = "ephemeral-volume-controller",
        ["storage-version-gc"] = "storageversion-garbage-collector-controller",
        ["resource-claim-controller"] = "resourceclaim-controller",
        ["legacy-service-account-token-cleaner"] = "legacy-serviceaccount-token-cleaner-controller",
    };

    private readonly IReadOnlyList<string> _entries;

    private ControllerSelection(IReadOnlyList<string> entries) => _entries = entries;

    /// <summary>The list as given, for messages.</summary>
    public string Text => string.Join(',', _entries);

    /// <summary>
    /// Parses a comma-separated list. Unknown names are refused with kube-controller-manager's words,
    /// <c>"foo" is not in the list of known controllers</c>, all of them in one message.
    /// </summary>
    public static ControllerSelection Parse(string list)
    {
        var entries = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = entries.Where(e => e != "*" && Canonical(e.TrimStart('-')) is null).Select(e => $"\"{e.TrimStart('-')}\" is not in the list of known controllers").ToList();
        if (unknown.Count > 0)
        {
            throw new FormatException(string.Join("; ", unknown));
        }

        return new ControllerSelection([.. entries.Select(e => e == "*" ? e : (e.StartsWith('-') ? "-" : string.Empty) + Canonical(e.TrimStart('-')))]);
    }

    /// <summary>kube's canonical name for a name or alias, or null when kube has no such controller.</summary>
    public static string? Canonical(string name) =>
        Aliases.TryGetValue(name, out var canonical) ? canonical : Array.IndexOf(Known, name) >= 0 ? name : null;

    /// <summary>Whether the controller of canonical name <paramref name="name"/> runs: the first entry naming it decides, else <c>*</c> enables it unless it is off by default.</summary>
    public bool IsEnabled(string name)
    {
        var star = false;
        foreach (var entry in _entries)
        {
            if (entry == name)
            {
                return true;
            }

            if (entry == "-" + name)
            {
                return false;
            }

            star |= entry == "*";
        }

        return star && !DisabledByDefault.Contains(name);
    }
}
