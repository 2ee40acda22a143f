using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// What the scheduler reads of a Node, parsed once per node version. <see cref="Taints"/> are the node's own plus,
/// when its <c>Ready</c> condition is not <c>True</c> and it does not already carry it, the taint the node lifecycle
/// controller puts on such nodes (<c>node.kubernetes.io/not-ready:NoSchedule</c> for False or missing,
/// <c>node.kubernetes.io/unreachable:NoSchedule</c> for Unknown): a node that is not ready takes only pods that
/// tolerate it, and the failure reads as upstream's taint message. Immutable.
/// </summary>
internal sealed class SchedulingNode
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";
    public const string UnschedulableTaint = "node.kubernetes.io/unschedulable";

    private SchedulingNode(JsonObject node)
    {
        Name = ObjectKeys.Name(node);
        Labels = node.Obj("metadata").Obj("labels").Entries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        Unschedulable = node.Obj("spec").Bool("unschedulable") == true;
        var allocatable = node.Obj("status").Obj("allocatable");
        Allocatable = ResourceAmount.Of(allocatable);
        AllocatablePods = ResourceAmount.Whole(allocatable?["pods"]);
        Ready = PodState.Condition(node, "Ready").Str("status") ?? string.Empty;
        var taints = Taint.Of(node);
        var readiness = Ready switch
        {
            "True" => null,
            "Unknown" => UnreachableTaint,
            _ => NotReadyTaint,
        };
        if (readiness is not null && !taints.Any(t => t.Key == readiness))
        {
            taints.Add(new Taint(readiness, string.Empty, Taint.NoSchedule));
        }

        Taints = taints;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary><c>spec.unschedulable</c> (cordoned).</summary>
    public bool Unschedulable { get; }

    public ResourceAmount Allocatable { get; }

    public long AllocatablePods { get; }

    /// <summary>The <c>Ready</c> condition's status (<c>True</c>, <c>False</c>, <c>Unknown</c>, or empty when absent).</summary>
    public string Ready { get; }

    public IReadOnlyList<Taint> Taints { get; }

    public static SchedulingNode From(JsonObject node) => new(node);

    /// <summary>
    /// Whether a change from <paramref name="before"/> to this may let a pod fit that did not (upstream's node update
    /// events worth a retry): labels, taints, readiness, cordon or allocatable changed. Heartbeats change none of them.
    /// </summary>
    public bool MayAdmitMoreThan(SchedulingNode before) =>
        !Labels.OrderBy(l => l.Key, StringComparer.Ordinal).SequenceEqual(before.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        || !Taints.SequenceEqual(before.Taints)
        || Ready != before.Ready
        || Unschedulable != before.Unschedulable
        || Allocatable != before.Allocatable
        || AllocatablePods != before.AllocatablePods;
}
