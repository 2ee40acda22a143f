using System.Text.Json.Nodes;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// The columns <c>kubectl get</c> shows for each built-in kind, as kube-apiserver's table printers define them
/// (names, order, which are wide-only, and how cells read the object). Kinds without a printer get Name and Age. Pure.
/// </summary>
internal static partial class TableColumns
{
    private const string NameDescription = "Name must be unique within a namespace. Cannot be updated.";
    private const string AgeDescription = "CreationTimestamp is a timestamp representing the server time when this object was created.";
    private const string None = "<none>";

    private static readonly TableColumn Name = new("Name", "string", NameDescription, (o, _) => Str(o, "metadata.name"), Format: "name");
    private static readonly TableColumn Age = new("Age", "string", AgeDescription, (o, now) => AgeOf(o, now));

    private static readonly Dictionary<string, TableColumn[]> ByResource = new(StringComparer.Ordinal)
    {
        ["pods"] = PodColumns(),
        ["deployments"] = [
            Name,
            new("Ready", "string", "Number of the pod with ready state", (o, _) => $"{Long(o, "status.readyReplicas")}/{Replicas(o)}"),
            new("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", (o, _) => Long(o, "status.updatedReplicas")),
            new("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", (o, _) => Long(o, "status.availableReplicas")),
            Age, .. WorkloadWide(selector: true)],
        ["replicasets"] = [
            Name,
            new("Desired", "integer", "Number of desired pods.", (o, _) => Replicas(o)),
            new("Current", "integer", "Replicas is the most recently observed number of replicas.", (o, _) => Long(o, "status.replicas")),
            new("Ready", "integer", "The number of ready replicas for this replica set.", (o, _) => Long(o, "status.readyReplicas")),
            Age, .. WorkloadWide(selector: true)],
        ["replicationcontrollers"] = [
            Name,
            new("Desired", "integer", "Number of desired pods.", (o, _) => Replicas(o)),
            new("Current", "integer", "Replicas is the most recently observed number of replicas.", (o, _) => Long(o, "status.replicas")),
            new("Ready", "integer", "The number of ready replicas for this replication controller.", (o, _) => Long(o, "status.readyReplicas")),
            Age, .. WorkloadWide(selector: true)],
        ["daemonsets"] = [
            Name,
            new("Desired", "integer", "The total number of nodes that should be running the daemon pod.", (o, _) => Long(o, "status.desiredNumberScheduled")),
            new("Current", "integer", "The number of nodes that are running at least 1 daemon pod.", (o, _) => Long(o, "status.currentNumberScheduled")),
            new("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", (o, _) => Long(o, "status.numberReady")),
            new("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod.", (o, _) => Long(o, "status.updatedNumberScheduled")),
            new("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.", (o, _) => Long(o, "status.numberAvailable")),
            new("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node.", (o, _) => Pairs(o, "spec.template.spec.nodeSelector")),
            Age, .. WorkloadWide(selector: true)],
        ["statefulsets"] = [
            Name,
            new("Ready", "string", "Number of the pod with ready state", (o, _) => $"{Long(o, "status.readyReplicas")}/{Replicas(o)}"),
            Age, .. WorkloadWide(selector: false)],
        ["jobs"] = [
            Name,
            new("Status", "string", "Status of the job.", (o, _) => JobStatus(o)),
            new("Completions", "string", "The completion status of the job.", (o, _) => $"{Long(o, "status.succeeded")}/{(At(o, "spec.completions") is null ? "1" : Invariant(Long(o, "spec.completions")))}"),
            new("Duration", "string", "Time required to complete the job.", (o, now) => Time(o, "status.startTime") is { } start ? HumanDuration.Format((Time(o, "status.completionTime") ?? now) - start) : string.Empty),
            Age, .. WorkloadWide(selector: true)],
        ["cronjobs"] = [
            Name,
            new("Schedule", "string", "The schedule in Cron format.", (o, _) => Str(o, "spec.schedule")),
            new("Timezone", "string", "The time zone the schedule is in.", (o, _) => Str(o, "spec.timeZone") ?? None),
            new("Suspend", "boolean", "Whether the cron job is suspended.", (o, _) => Bool(o, "spec.suspend") ? "True" : "False"),
            new("Active", "integer", "The number of currently running jobs.", (o, _) => Count(o, "status.active")),
            new("Last Schedule", "string", "When the job was last successfully scheduled.", (o, now) => Time(o, "status.lastScheduleTime") is { } t ? HumanDuration.Format(now - t) : None),
            Age],
        ["services"] = [
            Name,
            new("Type", "string", "The type of service.", (o, _) => Str(o, "spec.type") ?? "ClusterIP"),
            new("Cluster-IP", "string", "The cluster IP of the service.", (o, _) => Str(o, "spec.clusterIP") is { Length: > 0 } ip ? ip : None),
            new("External-IP", "string", "The external IPs of the service.", (o, _) => ExternalIps(o)),
            new("Port(s)", "string", "The ports of the service.", (o, _) => ServicePorts(o)),
            Age,
            new("Selector", "string", "The selector of the service.", (o, _) => Pairs(o, "spec.selector"), Priority: 1)],
        ["nodes"] = [
            Name,
            new("Status", "string", "The status of the node.", (o, _) => NodeStatus(o)),
            new("Roles", "string", "The roles of the node.", (o, _) => NodeRoles(o)),
            Age,
            new("Version", "string", "Kubelet Version reported by the node.", (o, _) => Str(o, "status.nodeInfo.kubeletVersion") ?? string.Empty),
            new("Internal-IP", "string", "List of internal IPs of the node.", (o, _) => NodeAddress(o, "InternalIP"), Priority: 1),
            new("External-IP", "string", "List of external IPs of the node.", (o, _) => NodeAddress(o, "ExternalIP"), Priority: 1),
            new("OS-Image", "string", "OS Image reported by the node.", (o, _) => Str(o, "status.nodeInfo.osImage") ?? "<unknown>", Priority: 1),
            new("Kernel-Version", "string", "Kernel Version reported by the node.", (o, _) => Str(o, "status.nodeInfo.kernelVersion") ?? "<unknown>", Priority: 1),
            new("Container-Runtime", "string", "Container Runtime Version reported by the node.", (o, _) => Str(o, "status.nodeInfo.containerRuntimeVersion") ?? "<unknown>", Priority: 1)],
        ["namespaces"] = [Name, new("Status", "string", "The status of the namespace.", (o, _) => Str(o, "status.phase") ?? string.Empty), Age],
        ["configmaps"] = [Name, new("Data", "integer", "Number of data entries.", (o, _) => Count(o, "data") + Count(o, "binaryData")), Age],
        ["secrets"] = [
            Name,
            new("Type", "string", "The type of the secret.", (o, _) => Str(o, "type") ?? "Opaque"),
            new("Data", "integer", "Number of data entries.", (o, _) => Count(o, "data")),
            Age],
        ["serviceaccounts"] = [Name, new("Secrets", "string", "The secrets of the service account.", (o, _) => Count(o, "secrets")), Age],
        ["endpoints"] = [Name, new("Endpoints", "string", "Endpoints of the service.", (o, _) => EndpointAddresses(o)), Age],
        ["endpointslices"] = [
            Name,
            new("AddressType", "string", "The IP protocol for this slice", (o, _) => Str(o, "addressType") ?? string.Empty),
            new("Ports", "string", "The ports for this slice", (o, _) => SlicePorts(o)),
            new("Endpoints", "string", "Endpoints for this slice", (o, _) => SliceAddresses(o)),
            Age],
        ["horizontalpodautoscalers"] = HorizontalPodAutoscalerColumns(),
        ["poddisruptionbudgets"] = PodDisruptionBudgetColumns(),
        ["apiservices"] = ApiServiceColumns(),
        ["storageclasses"] = StorageClassColumns(),
        ["persistentvolumes"] = PersistentVolumeColumns(),
        ["persistentvolumeclaims"] = PersistentVolumeClaimColumns(),
        ["certificatesigningrequests"] = CertificateSigningRequestColumns(),
        ["leases"] = [Name, new("Holder", "string", "The holder of the lease.", (o, _) => Str(o, "spec.holderIdentity") ?? string.Empty), Age],
        ["componentstatuses"] = [
            Name,
            new("Status", "string", "Status of the component conditions", (o, _) => HealthyCondition(o) is { } c ? (Str(c, "status") == "True" ? "Healthy" : "Unhealthy") : "Unknown"),
            new("Message", "string", "Message of the component conditions", (o, _) => Str(HealthyCondition(o), "message") ?? string.Empty),
            new("Error", "string", "Error of the component conditions", (o, _) => Str(HealthyCondition(o), "error") ?? string.Empty)],
        ["events"] = [
            new("Last Seen", "string", "Time when this event was last seen.", (o, now) => EventLastSeen(o, now)),
            new("Type", "string", "Type of this event (Normal, Warning).", (o, _) => Str(o, "type") ?? string.Empty),
            new("Reason", "string", "Why the action was taken.", (o, _) => Str(o, "reason") ?? string.Empty),
            new("Object", "string", "The object this Event is about.", (o, _) => $"{(Str(o, "involvedObject.kind") ?? string.Empty).ToLowerInvariant()}/{Str(o, "involvedObject.name")}"),
            new("Message", "string", "A human-readable description of the status of this operation.", (o, _) => Str(o, "message") ?? string.Empty),
            new("Count", "integer", "The number of times this event has occurred.", (o, _) => Long(o, "count"), Priority: 1),
            new("Name", "string", NameDescription, (o, _) => Str(o, "metadata.name"), Priority: 1, Format: "name")],
        ["rolebindings"] = [Name, new("Role", "string", "Role of the binding.", (o, _) => $"{Str(o, "roleRef.kind")}/{Str(o, "roleRef.name")}"), Age],
        ["clusterrolebindings"] = [Name, new("Role", "string", "Role of the binding.", (o, _) => $"{Str(o, "roleRef.kind")}/{Str(o, "roleRef.name")}"), Age],
        ["roles"] = [Name, new("Created At", "date", AgeDescription, (o, _) => Str(o, "metadata.creationTimestamp"))],
        ["clusterroles"] = [Name, new("Created At", "date", AgeDescription, (o, _) => Str(o, "metadata.creationTimestamp"))],
    };

    private static readonly TableColumn[] Default = [Name, Age];

    public static IReadOnlyList<TableColumn> For(string resource) => ByResource.GetValueOrDefault(resource, Default);

    private static JsonObject? HealthyCondition(JsonObject status) => Objects(status, "conditions").FirstOrDefault(c => Str(c, "type") == "Healthy");

    private static TableColumn[] PodColumns() => [
        Name,
        new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", (o, _) => $"{Objects(o, "status.containerStatuses").Count(c => Bool(c, "ready"))}/{Count(o, "spec.containers")}"),
        new("Status", "string", "The aggregate status of the containers in this pod.", (o, _) => PodStatus(o)),
        new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", (o, now) => PodRestarts(o, now)),
        Age,
        new("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", (o, _) => Str(o, "status.podIP") is { Length: > 0 } ip ? ip : None, Priority: 1),
        new("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", (o, _) => Str(o, "spec.nodeName") is { Length: > 0 } node ? node : None, Priority: 1),
        new("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node.", (o, _) => Str(o, "status.nominatedNodeName") ?? None, Priority: 1),
        new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", (o, _) => ReadinessGates(o), Priority: 1)];

    private static TableColumn[] WorkloadWide(bool selector)
    {
        var columns = new List<TableColumn>
        {
            new("Containers", "string", "Names of each container in the template.", (o, _) => string.Join(',', Objects(Template(o), "spec.containers").Select(c => Str(c, "name"))), Priority: 1),
            new("Images", "string", "Images referenced by each container in the template.", (o, _) => string.Join(',', Objects(Template(o), "spec.containers").Select(c => Str(c, "image"))), Priority: 1),
        };
        if (selector)
        {
            columns.Add(new("Selector", "string", "Label selector for pods.", (o, _) => Selector(o), Priority: 1));
        }

        return [.. columns];
    }

    private static JsonNode? Template(JsonObject o) => At(o, "spec.template") ?? At(o, "spec.jobTemplate.spec.template");

    private static long Replicas(JsonObject o) => At(o, "spec.replicas") is null ? 1 : Long(o, "spec.replicas");

    private static string Selector(JsonObject o)
    {
        // A LabelSelector object, or a ReplicationController's plain map.
        var text = At(o, "spec.selector") switch
        {
            JsonObject s when s.ContainsKey("matchLabels") || s.ContainsKey("matchExpressions") => LabelSelector.Format(s),
            JsonObject map => LabelSelector.FormatMap(map),
            _ => string.Empty,
        };
        return text.Length == 0 ? None : text;
    }

    private static string AgeOf(JsonObject o, DateTimeOffset now) => Time(o, "metadata.creationTimestamp") is { } t ? HumanDuration.Format(now - t) : "<unknown>";

    private static string PodStatus(JsonObject o)
    {
        var reason = Str(o, "status.reason") ?? Str(o, "status.phase") ?? "Pending";
        foreach (var container in Objects(o, "status.containerStatuses").Reverse())
        {
            if (Str(container, "state.waiting.reason") is { Length: > 0 } waiting)
            {
                reason = waiting;
            }
            else if (Str(container, "state.terminated.reason") is { Length: > 0 } terminated)
            {
                reason = terminated;
            }
            else if (At(container, "state.terminated") is JsonObject t)
            {
                reason = Long(t, "signal") != 0 ? $"Signal:{Long(t, "signal")}" : $"ExitCode:{Long(t, "exitCode")}";
            }
        }

        return At(o, "metadata.deletionTimestamp") is not null && Str(o, "status.reason") != "NodeLost" ? "Terminating" : reason;
    }

    private static string PodRestarts(JsonObject o, DateTimeOffset now)
    {
        var statuses = Objects(o, "status.containerStatuses").ToList();
        var restarts = statuses.Sum(c => Long(c, "restartCount"));
        var last = statuses.Select(c => Time(c, "lastState.terminated.finishedAt")).Where(t => t is not null).Max();
        return restarts > 0 && last is { } at ? $"{restarts} ({HumanDuration.Format(now - at)} ago)" : Invariant(restarts);
    }

    private static string ReadinessGates(JsonObject o)
    {
        var gates = Objects(o, "spec.readinessGates").Select(g => Str(g, "conditionType")).ToList();
        if (gates.Count == 0)
        {
            return None;
        }

        var met = Objects(o, "status.conditions").Count(c => gates.Contains(Str(c, "type")) && Str(c, "status") == "True");
        return $"{met}/{gates.Count}";
    }

    private static string JobStatus(JsonObject o)
    {
        var conditions = Objects(o, "status.conditions").Where(c => Str(c, "status") == "True").Select(c => Str(c, "type")).ToHashSet();
        return conditions.Contains("Complete") ? "Complete"
            : conditions.Contains("Failed") ? "Failed"
            : At(o, "metadata.deletionTimestamp") is not null ? "Terminating"
            : conditions.Contains("Suspended") ? "Suspended"
            : "Running";
    }

    private static string ExternalIps(JsonObject o)
    {
        var ips = (At(o, "spec.externalIPs") as JsonArray ?? []).Select(i => i?.ToString())
            .Concat(Objects(o, "status.loadBalancer.ingress").Select(i => Str(i, "ip") ?? Str(i, "hostname")))
            .Where(i => !string.IsNullOrEmpty(i)).ToList();
        if (ips.Count > 0)
        {
            return string.Join(',', ips);
        }

        return Str(o, "spec.type") switch
        {
            "LoadBalancer" => "<pending>",
            "ExternalName" => Str(o, "spec.externalName") ?? None,
            _ => None,
        };
    }

    private static string ServicePorts(JsonObject o)
    {
        var ports = Objects(o, "spec.ports").Select(p =>
            Long(p, "nodePort") != 0 ? $"{Long(p, "port")}:{Long(p, "nodePort")}/{Str(p, "protocol") ?? "TCP"}" : $"{Long(p, "port")}/{Str(p, "protocol") ?? "TCP"}").ToList();
        return ports.Count == 0 ? None : string.Join(',', ports);
    }

    private static string NodeStatus(JsonObject o)
    {
        var ready = Objects(o, "status.conditions").FirstOrDefault(c => Str(c, "type") == "Ready");
        var status = Str(ready, "status") switch
        {
            "True" => "Ready",
            null => "Unknown",
            "Unknown" => "NotReady",
            _ => "NotReady",
        };
        return Bool(o, "spec.unschedulable") ? status + ",SchedulingDisabled" : status;
    }

    private static string NodeRoles(JsonObject o)
    {
        const string prefix = "node-role.kubernetes.io/";
        var roles = (At(o, "metadata.labels") as JsonObject ?? [])
            .Select(l => l.Key.StartsWith(prefix, StringComparison.Ordinal) ? l.Key[prefix.Length..] : l.Key == "kubernetes.io/role" ? l.Value?.ToString() : null)
            .Where(r => !string.IsNullOrEmpty(r)).Order(StringComparer.Ordinal).ToList();
        return roles.Count == 0 ? None : string.Join(',', roles);
    }

    private static string NodeAddress(JsonObject o, string type)
    {
        var addresses = Objects(o, "status.addresses").Where(a => Str(a, "type") == type).Select(a => Str(a, "address")).ToList();
        return addresses.Count == 0 ? None : string.Join(',', addresses);
    }

    private static string SlicePorts(JsonObject o)
    {
        var ports = Objects(o, "ports").Select(p => Long(p, "port") is var n && n == 0 ? "<unset>" : n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return ports.Count == 0 ? "<unset>" : string.Join(',', ports);
    }

    private static string SliceAddresses(JsonObject o)
    {
        var all = Objects(o, "endpoints").SelectMany(e => (e["addresses"] as JsonArray ?? []).Select(a => a?.GetValue<string>() ?? string.Empty)).ToList();
        if (all.Count == 0)
        {
            return "<unset>";
        }

        return all.Count > 3 ? $"{string.Join(',', all.Take(3))} + {all.Count - 3} more..." : string.Join(',', all);
    }

    private static string EndpointAddresses(JsonObject o)
    {
        var all = Objects(o, "subsets").SelectMany(s =>
        {
            var ports = Objects(s, "ports").Select(p => Long(p, "port")).DefaultIfEmpty(0).ToList();
            return Objects(s, "addresses").SelectMany(a => ports.Select(p => p == 0 ? Str(a, "ip") : $"{Str(a, "ip")}:{p}"));
        }).ToList();
        if (all.Count == 0)
        {
            return None;
        }

        return all.Count > 3 ? $"{string.Join(',', all.Take(3))} + {all.Count - 3} more..." : string.Join(',', all);
    }

    private static string EventLastSeen(JsonObject o, DateTimeOffset now)
    {
        var seen = Time(o, "lastTimestamp") ?? Time(o, "eventTime") ?? Time(o, "metadata.creationTimestamp");
        return seen is { } t ? HumanDuration.Format(now - t) : "<unknown>";
    }
}
