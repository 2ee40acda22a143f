using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Defaults;

/// <summary>
/// kube-apiserver's defaulting of the built-in kinds served here, applied to every create and update (and to the
/// result of a patch), so controllers and clients see the fields they rely on: workload replicas, update
/// strategies and history limits, Job and CronJob policies, Service type and port protocol and target port, Secret
/// type, a ReplicationController's selector and labels from its template, HorizontalPodAutoscalers' replicas,
/// metrics and behavior (<see cref="HorizontalPodAutoscalerDefaults"/>), and the pod-spec defaults of
/// <see cref="PodDefaults"/>. CertificateSigningRequests get only their <c>spec</c> and <c>status</c> sections:
/// certificates.k8s.io/v1 registers no defaulting functions. Not done: Service cluster IP allocation.
/// </summary>
internal static class BuiltinDefaults
{
    /// <summary>
    /// Kinds whose Go types hold <c>spec</c> (and <c>status</c>) as plain structs, which kube-apiserver therefore
    /// always writes, as <c>{}</c> when empty: clients rely on it (the C# client's <c>V1Node.Spec</c> is null otherwise).
    /// </summary>
    private static readonly Dictionary<(string Group, string Kind), (bool Spec, bool Status)> Sections = new()
    {
        [("", "Node")] = (true, true),
        [("", "Pod")] = (true, true),
        [("", "Namespace")] = (true, true),
        [("", "Service")] = (true, true),
        [("", "ReplicationController")] = (true, true),
        [("", "ResourceQuota")] = (true, true),
        [("", "PersistentVolume")] = (true, true),
        [("", "PersistentVolumeClaim")] = (true, true),
        [("", "LimitRange")] = (true, false),
        [("apps", "Deployment")] = (true, true),
        [("apps", "ReplicaSet")] = (true, true),
        [("apps", "DaemonSet")] = (true, true),
        [("apps", "StatefulSet")] = (true, true),
        [("batch", "Job")] = (true, true),
        [("batch", "CronJob")] = (true, true),
        [("coordination.k8s.io", "Lease")] = (true, false),
        [("policy", "PodDisruptionBudget")] = (true, true),
        [("autoscaling", "HorizontalPodAutoscaler")] = (true, true),
        [("apiextensions.k8s.io", "CustomResourceDefinition")] = (true, true),
        [("certificates.k8s.io", "CertificateSigningRequest")] = (true, true),
    };

    public static void Apply(string group, string kind, JsonObject obj, bool creating)
    {
        if (Sections.TryGetValue((group, kind), out var sections))
        {
            if (sections.Spec && obj["spec"] is null)
            {
                obj["spec"] = new JsonObject();
            }

            if (sections.Status && obj["status"] is null)
            {
                obj["status"] = new JsonObject();
            }
        }

        var spec = obj["spec"] as JsonObject;
        switch (group, kind)
        {
            case ("", "Pod") when spec is not null:
                PodDefaults.Spec(spec, isPod: true);
                if (creating)
                {
                    PodDefaults.NewPodStatus(obj);
                }

                break;
            case ("", "PodTemplate"):
                Template(obj["template"]);
                break;
            case ("", "ReplicationController") when spec is not null:
                // The template's labels stand in for a missing selector and missing labels.
                if (spec["template"]?["metadata"]?["labels"] is JsonObject { } templateLabels)
                {
                    if (spec["selector"] is not JsonObject { Count: > 0 })
                    {
                        spec["selector"] = templateLabels.DeepClone();
                    }

                    if (obj["metadata"] is JsonObject metadata && metadata["labels"] is not JsonObject { Count: > 0 })
                    {
                        metadata["labels"] = templateLabels.DeepClone();
                    }
                }

                Json.Default(spec, "replicas", 1);
                Template(spec["template"]);
                break;
            case ("apps", "Deployment") when spec is not null:
                Json.Default(spec, "replicas", 1);
                Json.Default(spec, "revisionHistoryLimit", 10);
                Json.Default(spec, "progressDeadlineSeconds", 600);
                var strategy = Json.Child(spec, "strategy");
                Json.Default(strategy, "type", "RollingUpdate");
                if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
                {
                    var rolling = Json.Child(strategy, "rollingUpdate");
                    Json.Default(rolling, "maxUnavailable", "25%");
                    Json.Default(rolling, "maxSurge", "25%");
                }

                Template(spec["template"]);
                break;
            case ("autoscaling", "HorizontalPodAutoscaler") when spec is not null:
                HorizontalPodAutoscalerDefaults.Spec(spec);
                break;
            case ("storage.k8s.io", "StorageClass"):
                Json.Default(obj, "reclaimPolicy", "Delete");
                Json.Default(obj, "volumeBindingMode", "Immediate");
                break;
            case ("", "PersistentVolume") when spec is not null:
                Json.Default(spec, "persistentVolumeReclaimPolicy", "Retain");
                Json.Default(spec, "volumeMode", "Filesystem");
                if (creating && obj["status"] is JsonObject volumeStatus)
                {
                    Json.Default(volumeStatus, "phase", "Pending");
                }

                break;
            case ("", "PersistentVolumeClaim") when spec is not null:
                Json.Default(spec, "volumeMode", "Filesystem");
                if (creating && obj["status"] is JsonObject claimStatus)
                {
                    Json.Default(claimStatus, "phase", "Pending");
                }

                break;
            case ("apps", "ReplicaSet") when spec is not null:
                Json.Default(spec, "replicas", 1);
                Template(spec["template"]);
                break;
            case ("apps", "StatefulSet") when spec is not null:
                Json.Default(spec, "replicas", 1);
                Json.Default(spec, "podManagementPolicy", "OrderedReady");
                Json.Default(spec, "revisionHistoryLimit", 10);
                var update = Json.Child(spec, "updateStrategy");
                Json.Default(update, "type", "RollingUpdate");
                if (update["type"]?.GetValue<string>() == "RollingUpdate")
                {
                    Json.Default(Json.Child(update, "rollingUpdate"), "partition", 0);
                }

                var retention = Json.Child(spec, "persistentVolumeClaimRetentionPolicy");
                Json.Default(retention, "whenDeleted", "Retain");
                Json.Default(retention, "whenScaled", "Retain");
                Template(spec["template"]);
                break;
            case ("apps", "DaemonSet") when spec is not null:
                Json.Default(spec, "revisionHistoryLimit", 10);
                var daemonUpdate = Json.Child(spec, "updateStrategy");
                Json.Default(daemonUpdate, "type", "RollingUpdate");
                if (daemonUpdate["type"]?.GetValue<string>() == "RollingUpdate")
                {
                    var rolling = Json.Child(daemonUpdate, "rollingUpdate");
                    Json.Default(rolling, "maxUnavailable", 1);
                    Json.Default(rolling, "maxSurge", 0);
                }

                Template(spec["template"]);
                break;
            case ("batch", "Job") when spec is not null:
                JobSpec(spec);
                break;
            case ("batch", "CronJob") when spec is not null:
                Json.Default(spec, "concurrencyPolicy", "Allow");
                Json.Default(spec, "suspend", false);
                Json.Default(spec, "successfulJobsHistoryLimit", 3);
                Json.Default(spec, "failedJobsHistoryLimit", 1);
                if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
                {
                    JobSpec(jobSpec);
                }

                break;
            case ("", "Service") when spec is not null:
                ServiceSpec(spec);
                break;
            case ("", "Secret"):
                Json.Default(obj, "type", "Opaque");
                MergeStringData(obj);
                break;
        }
    }

    /// <summary>
    /// A Secret's <c>stringData</c> is write-only, as kube-apiserver's conversion makes it: each value goes into
    /// <c>data</c> base64-encoded (over any value there) and the field is never stored or returned.
    /// </summary>
    private static void MergeStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject plain)
        {
            secret.Remove("stringData");
            return;
        }

        if (secret["data"] is not JsonObject data)
        {
            secret["data"] = data = [];
        }

        foreach (var (key, value) in plain)
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
        }

        secret.Remove("stringData");
    }

    private static void Template(JsonNode? template)
    {
        if (template?["spec"] is JsonObject podSpec)
        {
            PodDefaults.Spec(podSpec, isPod: false);
        }
    }

    private static void JobSpec(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
            spec["parallelism"] = 1;
        }

        Json.Default(spec, "parallelism", 1);
        Json.Default(spec, "backoffLimit", 6);
        Json.Default(spec, "completionMode", "NonIndexed");
        Json.Default(spec, "suspend", false);
        Json.Default(spec, "podReplacementPolicy", "TerminatingOrFailed");
        Template(spec["template"]);
    }

    private static void ServiceSpec(JsonObject spec)
    {
        Json.Default(spec, "type", "ClusterIP");
        Json.Default(spec, "sessionAffinity", "None");
        var type = spec["type"]?.GetValue<string>();
        if (type != "ExternalName")
        {
            Json.Default(spec, "internalTrafficPolicy", "Cluster");
            Json.Default(spec, "ipFamilyPolicy", "SingleStack");
            Json.Default(spec, "ipFamilies", new JsonArray("IPv4"));
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            Json.Default(spec, "externalTrafficPolicy", "Cluster");
        }

        foreach (var port in Json.Objects(spec["ports"]))
        {
            Json.Default(port, "protocol", "TCP");
            if (port["port"] is JsonValue number)
            {
                Json.Default(port, "targetPort", number.DeepClone());
            }
        }
    }
}
