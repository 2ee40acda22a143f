using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources.Defaults;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Admission;

/// <summary>
/// What kube-apiserver's ServiceAccount admission plugin does to a pod being created, once the pod's service
/// account has been looked up: a pod without <c>spec.serviceAccountName</c> runs as <c>default</c>; unless the pod
/// or its account says <c>automountServiceAccountToken: false</c> (the pod's word wins), every init container and
/// container gets a read-only mount of a <c>kube-api-access-xxxxx</c> projected volume at
/// <c>/var/run/secrets/kubernetes.io/serviceaccount</c> (a container that already mounts something there is left
/// alone, and a pod that already has a <c>kube-api-access-</c> volume keeps it) holding a bound token
/// (<c>token</c>, 3607 s), the cluster CA (<c>ca.crt</c> from the <c>kube-root-ca.crt</c> config map) and the
/// namespace; a pod without image pull secrets gets its account's. Mirror pods are not changed, and may not name a
/// service account. Pure: the caller looks the account up.
/// </summary>
internal static class ServiceAccountAdmission
{
    public const string DefaultAccount = "default";
    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    private const string VolumePrefix = "kube-api-access-";
    private const string MirrorAnnotation = "kubernetes.io/config.mirror";

    /// <summary>
    /// The account the pod runs as, after defaulting <c>spec.serviceAccountName</c> (and its deprecated alias
    /// <c>spec.serviceAccount</c>); null for a mirror pod, which is not admitted through an account.
    /// </summary>
    /// <exception cref="ApiStatusException">A mirror pod that names a service account (403).</exception>
    public static string? AccountName(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject ?? (JsonObject)(pod["spec"] = new JsonObject());
        var name = JsonFields.AsString(spec["serviceAccountName"]);
        if (pod["metadata"]?["annotations"]?[MirrorAnnotation] is not null)
        {
            return string.IsNullOrEmpty(name) ? null : throw Forbidden(pod, "a mirror pod may not reference service accounts");
        }

        if (string.IsNullOrEmpty(name))
        {
            name = DefaultAccount;
            spec["serviceAccountName"] = name;
            spec["serviceAccount"] = name;
        }

        return name;
    }

    /// <summary>The plugin's refusal when the account cannot be found.</summary>
    public static ApiStatusException MissingAccount(JsonObject pod, string ns, string account) =>
        Forbidden(pod, $"error looking up service account {ns}/{account}: serviceaccount \"{account}\" not found");

    /// <summary>Mounts the account's API access into the pod and copies its image pull secrets, as described above.</summary>
    /// <param name="pod">The pod being created, after <see cref="AccountName"/>.</param>
    /// <param name="account">Its ServiceAccount.</param>
    /// <param name="suffix">Five characters for a new volume's name (kube's name generator).</param>
    public static void Admit(JsonObject pod, JsonObject account, Func<string> suffix)
    {
        var spec = (JsonObject)pod["spec"]!;
        if (ShouldAutomount(spec, account))
        {
            MountToken(spec, suffix);
        }

        if (spec["imagePullSecrets"] is not JsonArray { Count: > 0 } && account["imagePullSecrets"] is JsonArray { Count: > 0 } pullSecrets)
        {
            spec["imagePullSecrets"] = pullSecrets.DeepClone();
        }
    }

    /// <summary>The projected volume source the plugin adds (kube's <c>TokenVolumeSource</c>).</summary>
    public static JsonObject TokenVolumeSource() => new()
    {
        ["defaultMode"] = 420,
        ["sources"] = new JsonArray(
            new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
            new JsonObject
            {
                ["configMap"] = new JsonObject
                {
                    ["name"] = "kube-root-ca.crt",
                    ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                },
            },
            new JsonObject
            {
                ["downwardAPI"] = new JsonObject
                {
                    ["items"] = new JsonArray(new JsonObject
                    {
                        ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                        ["path"] = "namespace",
                    }),
                },
            }),
    };

    private static bool ShouldAutomount(JsonObject spec, JsonObject account) =>
        Flag(spec["automountServiceAccountToken"]) ?? Flag(account["automountServiceAccountToken"]) ?? true;

    private static bool? Flag(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    private static void MountToken(JsonObject spec, Func<string> suffix)
    {
        var volumes = spec["volumes"] as JsonArray;
        var existing = Json.Objects(volumes).Select(v => JsonFields.AsString(v["name"])).FirstOrDefault(n => n is not null && n.StartsWith(VolumePrefix, StringComparison.Ordinal));
        var volumeName = existing ?? VolumePrefix + suffix();
        var mounted = false;
        foreach (var container in new[] { "initContainers", "containers" }.SelectMany(list => Json.Objects(spec[list])))
        {
            var mounts = container["volumeMounts"] as JsonArray;
            if (Json.Objects(mounts).Any(m => JsonFields.AsString(m["mountPath"]) == MountPath))
            {
                continue;
            }

            if (mounts is null)
            {
                container["volumeMounts"] = mounts = [];
            }

            mounts.Add((JsonNode)new JsonObject { ["mountPath"] = MountPath, ["name"] = volumeName, ["readOnly"] = true });
            mounted = true;
        }

        if (existing is null && mounted)
        {
            if (volumes is null)
            {
                spec["volumes"] = volumes = [];
            }

            volumes.Add((JsonNode)new JsonObject { ["name"] = volumeName, ["projected"] = TokenVolumeSource() });
        }
    }

    private static ApiStatusException Forbidden(JsonObject pod, string why)
    {
        var name = JsonFields.AsString(pod["metadata"]?["name"]) is { Length: > 0 } given ? given
            : JsonFields.AsString(pod["metadata"]?["generateName"]) is { Length: > 0 } prefix ? prefix
            : "Unknown";
        return ApiErrors.ForbiddenObject(string.Empty, "pods", name, why);
    }
}
