namespace K3sLab.K3s.ApiServer.Resources.Strategic;

/// <summary>
/// The patch strategies of the built-in kinds this server serves, taken from the <c>patchStrategy</c> and
/// <c>patchMergeKey</c> tags of the Kubernetes API types (k8s.io/api). Kinds and fields not listed have none.
/// </summary>
internal static class BuiltinPatchSchemas
{
    private static readonly PatchField Conditions = PatchField.ListBy("type");

    private static readonly PatchSchema ObjectMeta = new(
        ("finalizers", PatchField.Set),
        ("ownerReferences", PatchField.ListBy("uid")));

    private static readonly PatchSchema Container = new(
        ("ports", PatchField.ListBy("containerPort")),
        ("env", PatchField.ListBy("name")),
        ("volumeMounts", PatchField.ListBy("mountPath")),
        ("volumeDevices", PatchField.ListBy("devicePath")));

    private static readonly PatchSchema PodSpec = new(
        ("containers", PatchField.ListBy("name", Container)),
        ("initContainers", PatchField.ListBy("name", Container)),
        ("ephemeralContainers", PatchField.ListBy("name", Container)),
        ("volumes", PatchField.ListBy("name")),
        ("imagePullSecrets", PatchField.ListBy("name")),
        ("hostAliases", PatchField.ListBy("ip")),
        ("topologySpreadConstraints", PatchField.ListBy("topologyKey")),
        ("resourceClaims", PatchField.ListBy("name")),
        ("schedulingGates", PatchField.ListBy("name")));

    private static readonly PatchSchema PodStatus = new(
        ("conditions", Conditions),
        ("podIPs", PatchField.ListBy("ip")),
        ("hostIPs", PatchField.ListBy("ip")));

    private static readonly PatchSchema PodTemplateSpec = new(
        ("metadata", PatchField.Of(ObjectMeta)),
        ("spec", PatchField.Of(PodSpec)));

    private static readonly PatchSchema WithConditions = new(("conditions", Conditions));

    private static readonly PatchSchema Workload = new(
        ("metadata", PatchField.Of(ObjectMeta)),
        ("spec", PatchField.Of(new PatchSchema(("template", PatchField.Of(PodTemplateSpec))))),
        ("status", PatchField.Of(WithConditions)));

    private static readonly PatchSchema JobSpec = new(("template", PatchField.Of(PodTemplateSpec)));

    private static readonly Dictionary<string, PatchSchema> ByKind = new(StringComparer.Ordinal)
    {
        ["Pod"] = new(("metadata", PatchField.Of(ObjectMeta)), ("spec", PatchField.Of(PodSpec)), ("status", PatchField.Of(PodStatus))),
        ["PodTemplate"] = new(("metadata", PatchField.Of(ObjectMeta)), ("template", PatchField.Of(PodTemplateSpec))),
        ["ReplicationController"] = Workload,
        ["Deployment"] = Workload,
        ["ReplicaSet"] = Workload,
        ["DaemonSet"] = Workload,
        ["StatefulSet"] = Workload,
        ["Job"] = new(("metadata", PatchField.Of(ObjectMeta)), ("spec", PatchField.Of(JobSpec)), ("status", PatchField.Of(WithConditions))),
        ["CronJob"] = new(
            ("metadata", PatchField.Of(ObjectMeta)),
            ("spec", PatchField.Of(new PatchSchema(("jobTemplate", PatchField.Of(new PatchSchema(("metadata", PatchField.Of(ObjectMeta)), ("spec", PatchField.Of(JobSpec))))))))),
        ["Service"] = new(
            ("metadata", PatchField.Of(ObjectMeta)),
            ("spec", PatchField.Of(new PatchSchema(("ports", PatchField.ListBy("port"))))),
            ("status", PatchField.Of(WithConditions))),
        ["Node"] = new(
            ("metadata", PatchField.Of(ObjectMeta)),
            ("spec", PatchField.Of(new PatchSchema(("podCIDRs", PatchField.Set)))),
            ("status", PatchField.Of(new PatchSchema(("conditions", Conditions), ("addresses", PatchField.ListBy("type")))))),
        ["Namespace"] = new(("metadata", PatchField.Of(ObjectMeta)), ("status", PatchField.Of(WithConditions))),
        ["ServiceAccount"] = new(("metadata", PatchField.Of(ObjectMeta)), ("secrets", PatchField.ListBy("name"))),
    };

    private static readonly PatchSchema MetadataOnly = new(("metadata", PatchField.Of(ObjectMeta)));

    /// <summary>The schema for a built-in kind; kinds without list strategies still merge their metadata's.</summary>
    public static PatchSchema For(string kind) => ByKind.GetValueOrDefault(kind, MetadataOnly);
}
