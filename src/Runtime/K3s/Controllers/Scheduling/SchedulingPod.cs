using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// What the scheduler reads of a pod, parsed once per pod version: identity, what it requests, where it may go.
/// Immutable; <see cref="Object"/> is the pod it was read from and must not be changed.
/// </summary>
internal sealed class SchedulingPod
{
    private SchedulingPod(JsonObject pod)
    {
        Object = pod;
        var spec = pod.Obj("spec");
        Namespace = ObjectKeys.Namespace(pod);
        Name = ObjectKeys.Name(pod);
        Key = ObjectKeys.Key(Namespace, Name);
        Uid = ObjectKeys.Uid(pod);
        NodeName = spec.Str("nodeName") ?? string.Empty;
        ControllerUid = ControllerRef.Of(pod)?.Uid ?? string.Empty;
        Priority = spec.Long("priority") ?? 0;
        PreemptNever = spec.Str("preemptionPolicy") == "Never";
        Requests = PodRequests.Of(spec, nonZero: false);
        NonZeroRequests = PodRequests.Of(spec, nonZero: true);
        Ports = HostPort.Of(spec);
        Tolerations = Toleration.Of(spec);
        NodeSelector = spec.Obj("nodeSelector").Entries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var nodeAffinity = spec.Obj("affinity").Obj("nodeAffinity");
        RequiredNodeAffinity = nodeAffinity.Obj("requiredDuringSchedulingIgnoredDuringExecution");
        PreferredNodeAffinity = nodeAffinity.Arr("preferredDuringSchedulingIgnoredDuringExecution");
        AntiAffinity = PodAffinityTerm.RequiredAntiAffinity(spec, Namespace);
        Terminal = PodState.Phase(pod) is "Succeeded" or "Failed";
    }

    public JsonObject Object { get; }

    public string Key { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Uid { get; }

    /// <summary>The node the pod is bound to (empty while pending).</summary>
    public string NodeName { get; }

    /// <summary>The uid of the pod's controller (ReplicaSet, StatefulSet...), empty without one: the spreading score's group.</summary>
    public string ControllerUid { get; }

    public long Priority { get; }

    /// <summary><c>preemptionPolicy: Never</c>.</summary>
    public bool PreemptNever { get; }

    public ResourceAmount Requests { get; }

    /// <summary>Requests with scoring defaults for containers that request nothing.</summary>
    public ResourceAmount NonZeroRequests { get; }

    public IReadOnlyList<HostPort> Ports { get; }

    public IReadOnlyList<Toleration> Tolerations { get; }

    public IReadOnlyDictionary<string, string> NodeSelector { get; }

    public JsonObject? RequiredNodeAffinity { get; }

    public JsonArray? PreferredNodeAffinity { get; }

    public IReadOnlyList<PodAffinityTerm> AntiAffinity { get; }

    /// <summary>Succeeded or Failed: holds no resources on its node.</summary>
    public bool Terminal { get; }

    public static SchedulingPod From(JsonObject pod) => new(pod);
}
