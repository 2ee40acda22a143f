using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The containers of a pod spec (<c>validateContainers</c>, <c>validateInitContainers</c> and
/// <c>validateContainerCommon</c>): names are unique RFC 1123 labels, an image is required, and ports
/// (<see cref="PortRules"/>), environment variables (<see cref="EnvRules"/>), volume mounts, pull and
/// termination-message policies and resources are checked. Defaulted fields that are empty count as defaulted. Not
/// checked: probes' and lifecycle handlers' contents, security contexts, envFrom, volume devices, resize policies
/// and ephemeral containers.
/// </summary>
internal static class ContainerRules
{
    public static void Containers(JsonArray? containers, IReadOnlySet<string> volumes, string path, FieldErrorList errors)
    {
        if (containers is not { Count: > 0 })
        {
            errors.Required(path);
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, container) in containers.Items())
        {
            var at = $"{path}[{i}]";
            Common(container, volumes, at, errors);
            var name = container.Str("name") ?? string.Empty;
            if (!names.Add(name))
            {
                errors.Duplicate($"{at}.name", name);
            }

            if (container.Has("restartPolicy"))
            {
                errors.Forbidden($"{at}.restartPolicy", "may not be set for non-init containers");
            }
        }

        PortRules.HostPortConflicts(containers.Items(), path, errors);
    }

    public static void InitContainers(JsonArray? containers, JsonArray? regular, IReadOnlySet<string> volumes, string path, FieldErrorList errors)
    {
        var names = regular.Items().Select(c => c.Item.Str("name") ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        foreach (var (i, container) in containers.Items())
        {
            var at = $"{path}[{i}]";
            Common(container, volumes, at, errors);
            var restartAlways = false;
            if (container.Str("restartPolicy") is { } restartPolicy)
            {
                if (restartPolicy != "Always")
                {
                    errors.NotSupported($"{at}.restartPolicy", restartPolicy, "Always");
                }

                restartAlways = restartPolicy == "Always";
            }

            var name = container.Str("name") ?? string.Empty;
            if (names.Contains(name))
            {
                errors.Duplicate($"{at}.name", name);
            }
            else if (name.Length > 0)
            {
                names.Add(name);
            }

            // Init containers run one by one, so each is checked alone (kube-apiserver names them all as index 0).
            PortRules.HostPortConflicts([(0, container)], path, errors);
            if (!restartAlways)
            {
                foreach (var field in new[] { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe" }.Where(f => container.Has(f)))
                {
                    errors.Forbidden($"{at}.{field}", "may not be set for init containers without restartPolicy=Always");
                }
            }
        }
    }

    private static void Common(JsonNode? container, IReadOnlySet<string> volumes, string path, FieldErrorList errors)
    {
        var name = container.Str("name") ?? string.Empty;
        if (name.Length == 0)
        {
            errors.Required($"{path}.name");
        }
        else
        {
            errors.InvalidEach($"{path}.name", name, Formats.Dns1123Label(name));
        }

        if (string.IsNullOrEmpty(container.Str("image")))
        {
            errors.Required($"{path}.image");
        }

        if (container.Str("terminationMessagePolicy") is { Length: > 0 } messagePolicy && messagePolicy is not ("File" or "FallbackToLogsOnError"))
        {
            errors.NotSupported($"{path}.terminationMessagePolicy", messagePolicy, "File", "FallbackToLogsOnError");
        }

        PortRules.ContainerPorts(container.Arr("ports"), $"{path}.ports", errors);
        EnvRules.Env(container.Arr("env"), $"{path}.env", errors);
        VolumeMounts(container.Arr("volumeMounts"), volumes, $"{path}.volumeMounts", errors);
        if (container.Str("imagePullPolicy") is { Length: > 0 } pullPolicy && pullPolicy is not ("Always" or "IfNotPresent" or "Never"))
        {
            errors.NotSupported($"{path}.imagePullPolicy", pullPolicy, "Always", "IfNotPresent", "Never");
        }

        ResourceRules.Requirements(container.Obj("resources"), $"{path}.resources", errors);
    }

    private static void VolumeMounts(JsonArray? mounts, IReadOnlySet<string> volumes, string path, FieldErrorList errors)
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, mount) in mounts.Items())
        {
            var at = $"{path}[{i}]";
            var name = mount.Str("name") ?? string.Empty;
            if (name.Length == 0)
            {
                errors.Required($"{at}.name");
            }

            if (!volumes.Contains(name))
            {
                errors.NotFound($"{at}.name", name);
            }

            var mountPath = mount.Str("mountPath") ?? string.Empty;
            if (mountPath.Length == 0)
            {
                errors.Required($"{at}.mountPath");
            }

            if (!mountPoints.Add(mountPath))
            {
                errors.Invalid($"{at}.mountPath", mountPath, "must be unique");
            }
        }
    }
}
