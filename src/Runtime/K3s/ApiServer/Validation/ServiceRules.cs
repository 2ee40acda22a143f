using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Services (<c>ValidateService</c>): ports are required unless headless or ExternalName, each port has a valid
/// number, protocol and target port, names are required with more than one port and unique, (protocol, port) and
/// (protocol, node port) pairs do not repeat, ClusterIP services have no node ports, and type, session affinity
/// and traffic policies are known values. Not checked: cluster IPs and IP families (this server allocates no IPs),
/// external IPs, load-balancer source ranges and class, and the fields that depend on the type, which
/// kube-apiserver clears when the type changes.
/// </summary>
internal static class ServiceRules
{
    /// <summary>
    /// Validates a service's spec; <paramref name="oldType"/> is the stored type on update. When an update changes
    /// the type, the checks of fields kube-apiserver clears on such a change (cluster IPs and IP families for
    /// ExternalName, node ports for ClusterIP) are left out, since this server does not clear them.
    /// </summary>
    public static void Service(JsonObject? spec, FieldErrorList errors, string? oldType = null)
    {
        var type = spec.Str("type") ?? string.Empty;
        var typeChanged = oldType is not null && oldType != type;
        var headless = IsHeadless(spec);
        var ports = spec.Arr("ports");
        if (ports is not { Count: > 0 } && !headless && type != "ExternalName")
        {
            errors.Required("spec.ports");
        }

        switch (type)
        {
            case "LoadBalancer" or "NodePort" when headless:
                errors.Invalid("spec.clusterIPs[0]", "None", $"may not be set to 'None' for {type} services");
                break;
            case "ExternalName":
                ExternalName(spec, typeChanged, errors);
                break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in ports.Items())
        {
            Port(port, $"spec.ports[{i}]", ports!.Count > 1, names, errors);
        }

        MetadataRules.Labels(spec.Obj("selector"), "spec.selector", errors);
        var affinity = spec.Str("sessionAffinity");
        if (affinity is { Length: > 0 } && affinity is not ("ClientIP" or "None"))
        {
            errors.NotSupported("spec.sessionAffinity", affinity, "ClientIP", "None");
        }

        if (affinity == "None" && spec.Has("sessionAffinityConfig"))
        {
            errors.Forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None");
        }

        if (type.Length > 0 && type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            errors.NotSupported("spec.type", type, "ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
        }

        if (type == "ClusterIP" && !typeChanged)
        {
            foreach (var (i, port) in ports.Items().Where(p => (p.Item.Long("nodePort") ?? 0) != 0))
            {
                errors.Forbidden($"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'");
            }
        }

        Duplicates(ports, errors);
        if (spec.Str("externalTrafficPolicy") is { Length: > 0 } external && type is ("NodePort" or "LoadBalancer") && external is not ("Cluster" or "Local"))
        {
            errors.NotSupported("spec.externalTrafficPolicy", external, "Cluster", "Local");
        }

        if (spec.Str("internalTrafficPolicy") is { } internalPolicy && internalPolicy is not ("Cluster" or "Local"))
        {
            errors.NotSupported("spec.internalTrafficPolicy", internalPolicy, "Cluster", "Local");
        }

        SourceRanges(spec.Arr("loadBalancerSourceRanges"), type, errors);
    }

    /// <summary>The older form of <c>spec.loadBalancerSourceRanges</c>, a comma-separated list, read when the field is empty.</summary>
    public const string SourceRangesAnnotationKey = "service.beta.kubernetes.io/load-balancer-source-ranges";

    private const string NotACidr = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

    /// <summary>
    /// <c>spec.loadBalancerSourceRanges</c> as kube-apiserver checks it, under its historical field path with a capital
    /// L: LoadBalancer Services only, and each entry (spaces around it allowed) a CIDR, host bits allowed as in a
    /// legacy field (<see cref="LegacyCidr"/>).
    /// </summary>
    private static void SourceRanges(JsonArray? ranges, string type, FieldErrorList errors)
    {
        if (ranges is not { Count: > 0 })
        {
            return;
        }

        const string Path = "spec.LoadBalancerSourceRanges";
        if (type != "LoadBalancer")
        {
            errors.Forbidden(Path, "may only be used when `type` is 'LoadBalancer'");
        }

        foreach (var (i, item) in ranges.Items())
        {
            var value = (JsonFields.AsString(item) ?? string.Empty).Trim();
            if (!LegacyCidr.TryParse(value, out _, out _))
            {
                errors.Invalid($"{Path}[{i}]", value, NotACidr);
            }
        }
    }

    /// <summary>The older annotation, checked as kube-apiserver checks it when the field is empty: LoadBalancer only, each comma-separated entry a CIDR.</summary>
    public static void SourceRangesAnnotation(JsonObject? spec, JsonObject? annotations, FieldErrorList errors)
    {
        if (spec.Arr("loadBalancerSourceRanges") is { Count: > 0 } || annotations.Str(SourceRangesAnnotationKey) is not { } value)
        {
            return;
        }

        var path = $"metadata.annotations[{SourceRangesAnnotationKey}]";
        if (spec.Str("type") != "LoadBalancer")
        {
            errors.Forbidden(path, "may only be used when `type` is 'LoadBalancer'");
        }

        if (value.Trim() is { Length: > 0 } listed)
        {
            foreach (var entry in listed.Split(',').Select(e => e.Trim()).Where(e => !LegacyCidr.TryParse(e, out _, out _)))
            {
                errors.Invalid(path, entry, NotACidr);
            }
        }
    }

    /// <summary>The cluster IPs a service holds, as kube-apiserver normalizes them (<c>clusterIPs</c>, else <c>[clusterIP]</c>).</summary>
    public static List<string> ClusterIPs(JsonObject? spec) =>
        spec.Arr("clusterIPs") is { Count: > 0 } list ? [.. list.Select(i => JsonFields.AsString(i) ?? string.Empty)]
        : spec.Str("clusterIP") is { Length: > 0 } ip ? [ip]
        : [];

    public static bool IsHeadless(JsonObject? spec) => ClusterIPs(spec) is ["None"];

    private static void ExternalName(JsonObject? spec, bool typeChanged, FieldErrorList errors)
    {
        if (!typeChanged)
        {
            if (ClusterIPs(spec).Count > 0)
            {
                errors.Forbidden("spec.clusterIPs", "may not be set for ExternalName services");
            }

            if (spec.Arr("ipFamilies") is { Count: > 0 })
            {
                errors.Forbidden("spec.ipFamilies", "may not be set for ExternalName services");
            }

            if (spec.Has("ipFamilyPolicy"))
            {
                errors.Forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
            }
        }

        var name = (spec.Str("externalName") ?? string.Empty).TrimEnd('.');
        if (name.Length > 0)
        {
            errors.InvalidEach("spec.externalName", name, Formats.Dns1123Subdomain(name));
        }
        else
        {
            errors.Required("spec.externalName");
        }
    }

    private static void Port(JsonNode? port, string path, bool nameRequired, HashSet<string> names, FieldErrorList errors)
    {
        var name = port.Str("name") ?? string.Empty;
        if (nameRequired && name.Length == 0)
        {
            errors.Required($"{path}.name");
        }
        else if (name.Length > 0)
        {
            errors.InvalidEach($"{path}.name", name, Formats.Dns1123Label(name));
            if (!names.Add(name))
            {
                errors.Duplicate($"{path}.name", name);
            }
        }

        PortRules.Number($"{path}.port", port.Long("port") ?? 0, errors);
        if (port.Str("protocol") is { Length: > 0 } protocol && !PortRules.IsProtocol(protocol))
        {
            errors.NotSupported($"{path}.protocol", protocol, "SCTP", "TCP", "UDP");
        }

        // An unset, 0 or "" target port is defaulted to the port, as kube-apiserver's defaulting does.
        var target = port?["targetPort"];
        if (JsonFields.AsString(target) is { Length: > 0 } targetName)
        {
            errors.InvalidEach($"{path}.targetPort", targetName, Formats.PortName(targetName));
        }
        else
        {
            PortRules.Number($"{path}.targetPort", JsonFields.AsLong(target) is { } number and not 0 ? number : port.Long("port") ?? 0, errors);
        }

        if (port.Str("appProtocol") is { } appProtocol)
        {
            errors.InvalidEach($"{path}.appProtocol", appProtocol, Formats.QualifiedName(appProtocol));
        }
    }

    /// <summary>Node ports and ports may not repeat for one protocol; a repeated port is printed as Go prints the key it built.</summary>
    private static void Duplicates(JsonArray? ports, FieldErrorList errors)
    {
        var nodePorts = new HashSet<(string, long)>();
        foreach (var (i, port) in ports.Items())
        {
            if (port.Long("nodePort") is { } nodePort and not 0 && !nodePorts.Add((port.Str("protocol") ?? string.Empty, nodePort)))
            {
                errors.Duplicate($"spec.ports[{i}].nodePort", nodePort);
            }
        }

        var seen = new HashSet<(string, long)>();
        foreach (var (i, port) in ports.Items())
        {
            var protocol = port.Str("protocol") ?? string.Empty;
            var number = port.Long("port") ?? 0;
            if (!seen.Add((protocol, number)))
            {
                errors.Duplicate($"spec.ports[{i}]", new GoValue(
                    $"core.ServicePort{{Name:\"\", Protocol:{GoValue.Quote(protocol)}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"));
            }
        }
    }
}
