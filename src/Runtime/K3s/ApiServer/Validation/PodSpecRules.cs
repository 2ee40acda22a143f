using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Pod specs, in pods and in every workload's template (<c>ValidatePodSpec</c>, <c>ValidatePodTemplateSpec</c>), in
/// kube-apiserver's order: volumes, containers, init containers, host-network ports, restart and DNS policy, node
/// selector, DNS config, names of the service account, node and priority class, deadline, host name and subdomain,
/// tolerations. Not checked: security contexts, affinity, topology spread, readiness and scheduling gates, host
/// aliases, overhead, OS-specific fields and pod-level resources.
/// </summary>
internal static class PodSpecRules
{
    /// <summary>A template's labels and annotations (named <c>template.labels</c>, as kube-apiserver names them) and spec.</summary>
    public static void TemplateSpec(JsonNode? template, string path, FieldErrorList errors)
    {
        var metadata = template.Obj("metadata");
        MetadataRules.Labels(metadata.Obj("labels"), $"{path}.labels", errors);
        MetadataRules.Annotations(metadata.Obj("annotations"), $"{path}.annotations", errors);
        var spec = template.Obj("spec");
        Spec(spec, $"{path}.spec", isPod: false, errors);
        if (spec.Arr("ephemeralContainers") is { Count: > 0 })
        {
            errors.Forbidden($"{path}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
        }
    }

    /// <summary>A pod's spec, then the checks kube-apiserver makes for pods only.</summary>
    public static void Pod(JsonObject? spec, FieldErrorList errors, bool creating)
    {
        Spec(spec, "spec", isPod: true, errors);
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var (i, container) in spec.Arr(list).Items())
            {
                if (container.Str("image") is { } image && image.Trim() != image)
                {
                    errors.Invalid($"spec.{list}[{i}].image", image, "must not have leading or trailing whitespace");
                }
            }
        }

        if (creating && spec.Arr("ephemeralContainers") is { Count: > 0 })
        {
            errors.Forbidden("spec.ephemeralContainers", "cannot be set on create");
        }

        if (creating && !string.IsNullOrEmpty(spec.Str("nodeName")) && spec.Arr("schedulingGates") is { Count: > 0 })
        {
            errors.Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared");
        }
    }

    /// <summary>The template's restart policy as defaulted: Always when unset.</summary>
    public static string RestartPolicy(JsonNode? template) => template.Obj("spec").Str("restartPolicy") is { Length: > 0 } policy ? policy : "Always";

    private static void Spec(JsonObject? spec, string path, bool isPod, FieldErrorList errors)
    {
        var volumes = VolumeRules.Volumes(spec.Arr("volumes"), $"{path}.volumes", errors);
        ContainerRules.Containers(spec.Arr("containers"), volumes, $"{path}.containers", errors);
        ContainerRules.InitContainers(spec.Arr("initContainers"), spec.Arr("containers"), volumes, $"{path}.initContainers", errors);
        HostNetworkPorts(spec, path, isPod, errors);
        if (spec.Str("restartPolicy") is { Length: > 0 } restartPolicy && restartPolicy is not ("Always" or "OnFailure" or "Never"))
        {
            errors.NotSupported($"{path}.restartPolicy", restartPolicy, "Always", "OnFailure", "Never");
        }

        var dnsPolicy = spec.Str("dnsPolicy");
        if (dnsPolicy is { Length: > 0 } && dnsPolicy is not ("ClusterFirstWithHostNet" or "ClusterFirst" or "Default" or "None"))
        {
            errors.NotSupported($"{path}.dnsPolicy", dnsPolicy, "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
        }

        MetadataRules.Labels(spec.Obj("nodeSelector"), $"{path}.nodeSelector", errors);
        if (dnsPolicy == "None")
        {
            if (spec.Obj("dnsConfig") is not { } dnsConfig)
            {
                errors.Required($"{path}.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None");
            }
            else if (dnsConfig.Arr("nameservers") is not { Count: > 0 })
            {
                errors.Required($"{path}.dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None");
            }
        }

        Subdomain(spec, "serviceAccountName", path, errors);
        Subdomain(spec, "nodeName", path, errors);
        if (spec.Long("activeDeadlineSeconds") is { } deadline and (< 1 or > int.MaxValue))
        {
            errors.Invalid($"{path}.activeDeadlineSeconds", deadline, Formats.InclusiveRange(1, int.MaxValue));
        }

        foreach (var field in new[] { "hostname", "subdomain" })
        {
            if (spec.Str(field) is { Length: > 0 } label)
            {
                errors.InvalidEach($"{path}.{field}", label, Formats.Dns1123Label(label));
            }
        }

        TolerationRules.Tolerations(spec.Arr("tolerations"), $"{path}.tolerations", errors);
        Subdomain(spec, "priorityClassName", path, errors);
    }

    /// <summary>With host networking a pod's host ports must equal its container ports; a template may leave them 0.</summary>
    private static void HostNetworkPorts(JsonObject? spec, string path, bool isPod, FieldErrorList errors)
    {
        if (spec.Bool("hostNetwork") != true)
        {
            return;
        }

        foreach (var (i, container) in spec.Arr("containers").Items())
        {
            foreach (var (j, port) in container.Arr("ports").Items())
            {
                var hostPort = port.Long("hostPort") ?? 0;
                if ((isPod || hostPort != 0) && hostPort != (port.Long("containerPort") ?? 0))
                {
                    errors.Invalid($"{path}.containers[{i}].ports[{j}].hostPort", hostPort, "must match `containerPort` when `hostNetwork` is true");
                }
            }
        }
    }

    private static void Subdomain(JsonObject? spec, string field, string path, FieldErrorList errors)
    {
        if (spec.Str(field) is { Length: > 0 } name)
        {
            errors.InvalidEach($"{path}.{field}", name, Formats.Dns1123Subdomain(name));
        }
    }
}
