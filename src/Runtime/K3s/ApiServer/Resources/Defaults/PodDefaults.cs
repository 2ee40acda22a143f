using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Defaults;

/// <summary>
/// The defaults kube-apiserver gives a pod spec wherever one appears (pods and every workload's template): restart
/// and DNS policy, grace period, scheduler, service links, per-container termination message, pull policy and
/// port protocol, a pod's host ports on the host network, the <c>serviceAccount</c> alias, plus the two NoExecute tolerations the
/// DefaultTolerationSeconds admission plugin adds (300 s for not-ready and unreachable nodes), which decide how long
/// pods stay on a dead node.
/// </summary>
internal static class PodDefaults
{
    private static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];
    private static readonly string[] NodeProblems = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

    public static void Spec(JsonObject spec, bool isPod)
    {
        Json.Default(spec, "restartPolicy", "Always");
        Json.Default(spec, "dnsPolicy", "ClusterFirst");
        Json.Default(spec, "terminationGracePeriodSeconds", 30);
        Json.Default(spec, "schedulerName", "default-scheduler");
        Json.Default(spec, "enableServiceLinks", true);
        ServiceAccountAlias(spec);
        spec["securityContext"] ??= new JsonObject();
        foreach (var container in ContainerLists.SelectMany(list => Json.Objects(spec[list])))
        {
            Json.Default(container, "terminationMessagePath", "/dev/termination-log");
            Json.Default(container, "terminationMessagePolicy", "File");
            if (container["image"] is JsonValue image && image.TryGetValue<string>(out var reference))
            {
                Json.Default(container, "imagePullPolicy", PullPolicy(reference));
            }

            container["resources"] ??= new JsonObject();
            foreach (var port in Json.Objects(container["ports"]))
            {
                Json.Default(port, "protocol", "TCP");
            }
        }

        if (isPod)
        {
            if (spec["hostNetwork"] is JsonValue hostNetwork && hostNetwork.GetValueKind() == System.Text.Json.JsonValueKind.True)
            {
                // A pod on the host network listens on its container ports there (templates keep 0 since 1.28).
                foreach (var port in new[] { "initContainers", "containers" }.SelectMany(list => Json.Objects(spec[list])).SelectMany(c => Json.Objects(c["ports"])))
                {
                    if (port["hostPort"] is null || port["hostPort"]!.ToJsonString() == "0")
                    {
                        port["hostPort"] = port["containerPort"]?.DeepClone();
                    }
                }
            }

            var tolerations = spec["tolerations"] as JsonArray ?? (JsonArray)(spec["tolerations"] = new JsonArray());
            foreach (var key in NodeProblems)
            {
                var tolerated = Json.Objects(tolerations).Any(t =>
                    (t["key"]?.GetValue<string>() == key || (t["key"] is null && t["operator"]?.GetValue<string>() == "Exists"))
                    && (t["effect"] is null || t["effect"]!.GetValue<string>() == "NoExecute"));
                if (!tolerated)
                {
                    tolerations.Add((JsonNode)new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 });
                }
            }

            Json.Default(spec, "priority", 0);
            Json.Default(spec, "preemptionPolicy", "PreemptLowerPriority");
        }
    }

    /// <summary>
    /// <c>serviceAccount</c> is the deprecated alias of <c>serviceAccountName</c>: it fills an empty
    /// <c>serviceAccountName</c> and always reads back equal to it, as kube's v1 conversion makes it.
    /// </summary>
    private static void ServiceAccountAlias(JsonObject spec)
    {
        var name = Validation.JsonFields.AsString(spec["serviceAccountName"]);
        if (string.IsNullOrEmpty(name) && Validation.JsonFields.AsString(spec["serviceAccount"]) is { Length: > 0 } alias)
        {
            spec["serviceAccountName"] = name = alias;
        }

        if (string.IsNullOrEmpty(name))
        {
            spec.Remove("serviceAccount");
        }
        else
        {
            spec["serviceAccount"] = name;
        }
    }

    /// <summary>A new pod starts Pending with its QoS class, as the pod registry sets them.</summary>
    public static void NewPodStatus(JsonObject pod)
    {
        var status = pod["status"] as JsonObject ?? (JsonObject)(pod["status"] = new JsonObject());
        Json.Default(status, "phase", "Pending");
        status["qosClass"] = QosClass(pod["spec"] as JsonObject ?? []);
    }

    /// <summary>Always for <c>:latest</c> or an untagged image (without a digest), IfNotPresent otherwise.</summary>
    internal static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return "IfNotPresent";
        }

        var name = image[(image.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        return colon < 0 || name[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>Guaranteed when every container's cpu and memory requests equal its limits, BestEffort with none at all, else Burstable.</summary>
    internal static string QosClass(JsonObject spec)
    {
        var containers = Json.Objects(spec["initContainers"]).Concat(Json.Objects(spec["containers"])).ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container["resources"]?["requests"] as JsonObject;
            var limits = container["resources"]?["limits"] as JsonObject;
            any |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToString();
                var request = requests?[resource]?.ToString() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
