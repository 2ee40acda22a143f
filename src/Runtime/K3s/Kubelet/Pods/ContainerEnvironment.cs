using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A container's environment, in the order a container runtime builds it: the image defaults (<c>PATH</c>,
/// <c>HOME</c>), <c>HOSTNAME</c> (the pod's hostname: pods share the node's network and UTS namespaces, so
/// <c>hostname</c> prints the node's, but <c>$HOSTNAME</c> is the pod's as in any pod), then the container's
/// <c>env</c> in order, each value's <c>$(VAR)</c> expanded against what came before. <c>valueFrom.fieldRef</c> takes
/// the downward-API fields (<c>metadata.name</c>, <c>.namespace</c>, <c>.uid</c>, <c>.labels['k']</c>,
/// <c>.annotations['k']</c>, <c>spec.nodeName</c>, <c>spec.serviceAccountName</c>, <c>status.hostIP</c>,
/// <c>status.hostIPs</c>, <c>status.podIP</c>, <c>status.podIPs</c>); other sources are refused by name
/// (<c>CreateContainerConfigError</c>). Pure.
/// </summary>
internal static class ContainerEnvironment
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The environment, or null with <paramref name="error"/> set to the <c>CreateContainerConfigError</c> message.</summary>
    public static Dictionary<string, string>? Build(JsonObject pod, JsonObject container, string podIp, out string? error)
    {
        error = null;
        var name = pod["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = "/root",
            ["HOSTNAME"] = pod["spec"]?["hostname"]?.GetValue<string>() is { Length: > 0 } hostname ? hostname : name,
        };

        foreach (var item in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = item["name"]?.GetValue<string>() ?? string.Empty;
            if (item["valueFrom"] is JsonObject from)
            {
                if (from["fieldRef"]?["fieldPath"]?.GetValue<string>() is not { } path)
                {
                    error = $"env {key}: valueFrom.{from.Select(p => p.Key).FirstOrDefault() ?? "?"} is not supported by the process runtime yet; use value or fieldRef";
                    return null;
                }

                if (FieldRef(pod, path, podIp) is not { } value)
                {
                    error = $"env {key}: unsupported fieldRef fieldPath \"{path}\"";
                    return null;
                }

                env[key] = value;
            }
            else
            {
                env[key] = ContainerCommand.Expand(item["value"]?.GetValue<string>() ?? string.Empty, env);
            }
        }

        if (container["envFrom"] is JsonArray { Count: > 0 })
        {
            error = "envFrom is not supported by the process runtime yet; list the variables under env";
            return null;
        }

        return env;
    }

    /// <summary>The value of a downward-API field path, or null when the path is not one the kubelet serves.</summary>
    public static string? FieldRef(JsonObject pod, string path, string podIp)
    {
        var meta = pod["metadata"];
        if (path.StartsWith("metadata.labels['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
        {
            return meta?["labels"]?[path["metadata.labels['".Length..^2]]?.GetValue<string>() ?? string.Empty;
        }

        if (path.StartsWith("metadata.annotations['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
        {
            return meta?["annotations"]?[path["metadata.annotations['".Length..^2]]?.GetValue<string>() ?? string.Empty;
        }

        return path switch
        {
            "metadata.name" => meta?["name"]?.GetValue<string>() ?? string.Empty,
            "metadata.namespace" => meta?["namespace"]?.GetValue<string>() ?? string.Empty,
            "metadata.uid" => meta?["uid"]?.GetValue<string>() ?? string.Empty,
            "spec.nodeName" => pod["spec"]?["nodeName"]?.GetValue<string>() ?? string.Empty,
            "spec.serviceAccountName" => pod["spec"]?["serviceAccountName"]?.GetValue<string>() ?? string.Empty,
            "status.hostIP" or "status.hostIPs" or "status.podIP" or "status.podIPs" => podIp,
            _ => null,
        };
    }
}
