using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A container's environment, in the order a container runtime builds it: the image defaults (<c>PATH</c>,
/// <c>HOME</c>), <c>HOSTNAME</c> (the pod's hostname: pods share the node's network and UTS namespaces, so
/// <c>hostname</c> prints the node's, but <c>$HOSTNAME</c> is the pod's as in any pod), the <c>KUBERNETES_SERVICE_*</c>
/// variables (pointing at the API address this node uses, since no service proxy routes the ClusterIP here, so
/// in-cluster clients work), then what the kubelet's
/// <c>makeEnvironmentVariables</c> gives: every <c>envFrom</c> source in order (a config map's data or a secret's
/// decoded data, each key behind the source's <c>prefix</c>; keys that are not environment variable names are
/// skipped), then the container's <c>env</c> in order, each <c>value</c>'s <c>$(VAR)</c> expanded against what came
/// before. <c>valueFrom</c> takes <c>fieldRef</c> (the downward-API fields: <c>metadata.name</c>, <c>.namespace</c>,
/// <c>.uid</c>, <c>.labels['k']</c>, <c>.annotations['k']</c>, <c>spec.nodeName</c>, <c>spec.serviceAccountName</c>,
/// <c>status.hostIP</c>, <c>status.hostIPs</c>, <c>status.podIP</c>, <c>status.podIPs</c>),
/// <c>resourceFieldRef</c>, <c>configMapKeyRef</c> and <c>secretKeyRef</c>. A source that is missing is the
/// kubelet's error (<c>configmap "x" not found</c>, <c>couldn't find key k in ConfigMap ns/x</c>) unless it is
/// <c>optional</c>, when the variable is left out. Errors become <c>CreateContainerConfigError</c>. Pure: the
/// objects read come in <see cref="EnvSources"/>.
/// </summary>
internal static class ContainerEnvironment
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The environment, or null with <paramref name="error"/> set to the <c>CreateContainerConfigError</c> message.</summary>
    public static Dictionary<string, string>? Build(JsonObject pod, JsonObject container, string podIp, EnvSources sources, out string? error) =>
        Build(pod, container, podIp, sources, out error, out _);

    /// <summary>As <see cref="Build(JsonObject, JsonObject, string, EnvSources, out string?)"/>; <paramref name="skipped"/> names the <c>envFrom</c> keys left out, one line per source, in the kubelet's event wording.</summary>
    public static Dictionary<string, string>? Build(JsonObject pod, JsonObject container, string podIp, EnvSources sources, out string? error, out List<string> skipped)
    {
        error = null;
        skipped = [];
        var name = pod["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = "/root",
            ["HOSTNAME"] = pod["spec"]?["hostname"]?.GetValue<string>() is { Length: > 0 } hostname ? hostname : name,
        };
        foreach (var service in sources.Services)
        {
            ServiceLinkVariables(env, service);
        }

        if (sources.KubernetesService is { } api)
        {
            KubernetesServiceVariables(env, api.Host.Trim('[', ']'), api.Port);
        }

        foreach (var from in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var secret = from["secretRef"] is JsonObject;
            var reference = from["configMapRef"] as JsonObject ?? from["secretRef"] as JsonObject;
            if (reference is null)
            {
                continue;
            }

            var source = reference["name"]?.GetValue<string>() ?? string.Empty;
            var stored = (secret ? sources.Secrets : sources.ConfigMaps).GetValueOrDefault(source);
            if (stored is null)
            {
                if (reference["optional"]?.GetValue<bool>() == true)
                {
                    continue;
                }

                error = $"{(secret ? "secret" : "configmap")} \"{source}\" not found";
                return null;
            }

            var prefix = from["prefix"]?.GetValue<string>() ?? string.Empty;
            var invalid = new List<string>();
            foreach (var (key, value) in Data(stored, secret))
            {
                if (!IsVariableName(prefix + key))
                {
                    invalid.Add(prefix + key);
                    continue;
                }

                env[prefix + key] = value;
            }

            if (invalid.Count > 0)
            {
                invalid.Sort(StringComparer.Ordinal);
                skipped.Add($"Keys [{string.Join(", ", invalid)}] from the EnvFrom {(secret ? "secret" : "configMap")} {ns}/{source} were skipped since they are considered invalid environment variable names.");
            }
        }

        foreach (var item in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = item["name"]?.GetValue<string>() ?? string.Empty;
            if (item["value"]?.GetValue<string>() is { Length: > 0 } || item["valueFrom"] is not JsonObject from)
            {
                env[key] = ContainerCommand.Expand(item["value"]?.GetValue<string>() ?? string.Empty, env);
                continue;
            }

            string? value;
            if (from["fieldRef"] is JsonObject fieldRef)
            {
                var path = fieldRef["fieldPath"]?.GetValue<string>() ?? string.Empty;
                value = FieldRef(pod, path, podIp);
                error = value is null ? $"env {key}: unsupported fieldRef fieldPath \"{path}\"" : null;
            }
            else if (from["resourceFieldRef"] is JsonObject resourceRef)
            {
                value = ResourceFieldRef.Value(pod, container, resourceRef, sources.Allocatable, out error);
            }
            else if ((from["configMapKeyRef"] ?? from["secretKeyRef"]) is JsonObject keyRef)
            {
                var secret = from["secretKeyRef"] is JsonObject;
                var source = keyRef["name"]?.GetValue<string>() ?? string.Empty;
                var wanted = keyRef["key"]?.GetValue<string>() ?? string.Empty;
                var optional = keyRef["optional"]?.GetValue<bool>() == true;
                var stored = (secret ? sources.Secrets : sources.ConfigMaps).GetValueOrDefault(source);
                if (stored is null)
                {
                    if (optional)
                    {
                        continue;
                    }

                    error = $"{(secret ? "secret" : "configmap")} \"{source}\" not found";
                    return null;
                }

                value = stored["data"]?[wanted] is JsonValue raw ? Decode(raw.GetValue<string>(), secret) : null;
                if (value is null)
                {
                    if (optional)
                    {
                        continue;
                    }

                    error = $"couldn't find key {wanted} in {(secret ? "Secret" : "ConfigMap")} {ns}/{source}";
                    return null;
                }
            }
            else
            {
                value = null;
                error = $"env {key}: valueFrom.{from.Select(p => p.Key).FirstOrDefault() ?? "?"} is not a source the kubelet knows";
            }

            if (value is null)
            {
                return null;
            }

            env[key] = value;
        }

        return env;
    }

    /// <summary>
    /// The variables the kubelet gives every container for the <c>kubernetes</c> service (port name <c>https</c>), in
    /// the docker-links form of <see cref="LinkVariables"/>: <c>KUBERNETES_SERVICE_HOST</c>, <c>_PORT</c>,
    /// <c>_PORT_HTTPS</c>, <c>KUBERNETES_PORT</c> and <c>KUBERNETES_PORT_&lt;port&gt;_TCP{,_PROTO,_PORT,_ADDR}</c>. The
    /// container's own <c>env</c> overrides them and may refer to them.
    /// </summary>
    private static void KubernetesServiceVariables(Dictionary<string, string> env, string host, int port) =>
        LinkVariables(env, "KUBERNETES", host, [("https", port, "TCP")]);

    /// <summary>
    /// The link variables of one Service of the pod's namespace with a cluster IP (headless ones have none); the
    /// <c>kubernetes</c> Service's come from <see cref="EnvSources.KubernetesService"/> instead.
    /// </summary>
    private static void ServiceLinkVariables(Dictionary<string, string> env, JsonObject service)
    {
        var name = service["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        var ip = service["spec"]?["clusterIP"]?.GetValue<string>();
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(p => (p["name"]?.GetValue<string>() ?? string.Empty, p["port"]?.GetValue<int>() ?? 0, p["protocol"]?.GetValue<string>() ?? "TCP"))
            .ToList();
        if (name.Length == 0 || (name == "kubernetes" && service["metadata"]?["namespace"]?.GetValue<string>() == "default") || ip is null or "" or "None" || ports.Count == 0)
        {
            return;
        }

        LinkVariables(env, name.ToUpperInvariant().Replace('-', '_'), ip, ports);
    }

    /// <summary>
    /// The kubelet's docker-links variables of a Service: <c>NAME_SERVICE_HOST</c>, <c>NAME_SERVICE_PORT</c> (the first
    /// port), <c>NAME_SERVICE_PORT_PORTNAME</c> per named port, <c>NAME_PORT</c> (the first port's URL) and per port
    /// <c>NAME_PORT_N_PROTO</c> with its <c>_PROTO</c>, <c>_PORT</c> and <c>_ADDR</c>.
    /// </summary>
    private static void LinkVariables(Dictionary<string, string> env, string prefix, string ip, IReadOnlyList<(string Name, int Port, string Protocol)> ports)
    {
        var host = ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip;
        env[$"{prefix}_SERVICE_HOST"] = ip;
        for (var i = 0; i < ports.Count; i++)
        {
            var (portName, number, protocol) = ports[i];
            var text = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var url = $"{protocol.ToLowerInvariant()}://{host}:{text}";
            if (i == 0)
            {
                env[$"{prefix}_SERVICE_PORT"] = text;
                env[$"{prefix}_PORT"] = url;
            }

            if (portName.Length > 0)
            {
                env[$"{prefix}_SERVICE_PORT_{portName.ToUpperInvariant().Replace('-', '_')}"] = text;
            }

            var link = $"{prefix}_PORT_{text}_{protocol.ToUpperInvariant()}";
            env[link] = url;
            env[$"{link}_PROTO"] = protocol.ToLowerInvariant();
            env[$"{link}_PORT"] = text;
            env[$"{link}_ADDR"] = ip;
        }
    }

    /// <summary>
    /// Whether <paramref name="name"/> may name a variable: printable ASCII other than <c>=</c>, the rule kubelet 1.33
    /// applies (RelaxedEnvironmentVariableValidation, on by default since 1.32).
    /// </summary>
    public static bool IsVariableName(string name) => name.Length > 0 && name.All(c => c is >= ' ' and <= '~' and not '=');

    private static IEnumerable<KeyValuePair<string, string>> Data(JsonObject stored, bool secret)
    {
        foreach (var (key, value) in stored["data"] as JsonObject ?? [])
        {
            yield return new(key, Decode(value?.GetValue<string>() ?? string.Empty, secret));
        }
    }

    /// <summary>A data value as the container sees it: a secret's decoded from base64, a config map's as stored.</summary>
    private static string Decode(string text, bool secret) => secret ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text)) : text;

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
