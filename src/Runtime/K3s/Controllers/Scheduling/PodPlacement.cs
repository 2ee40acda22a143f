namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// Chooses a node for a pod (kube-scheduler's default profile, reduced to what this cluster has): the filters run
/// per node in upstream's order and the first that fails gives the node's reasons (NodeUnschedulable,
/// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, VolumeBinding, InterPodAffinity for required anti-affinity); the
/// feasible nodes are scored (NodeResourcesFit LeastAllocated ×1, spreading of the pod's controller ×2,
/// TaintToleration PreferNoSchedule ×3, preferred NodeAffinity ×2) and the best wins, ties broken by a hash of the
/// pod's uid and the node's name, so equal nodes share load yet a decision is reproducible. Pure: the same
/// <see cref="ClusterState"/> and pod give the same answer.
/// </summary>
internal static class PodPlacement
{
    private const long MaxScore = 100;

    /// <summary>Decides where <paramref name="pod"/> goes; <paramref name="state"/> is not changed.</summary>
    public static Placement Decide(SchedulingPod pod, ClusterState state, VolumeBinding? volumes = null)
    {
        var nodes = state.Nodes;
        var reasons = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (nodes.Count == 0)
        {
            return new Placement(null, FitMessage.NoNodes, reasons);
        }

        volumes ??= VolumeBinding.None;
        if (volumes.PreFilterMessage is { } refused)
        {
            return new Placement(null, FitMessage.PreFilter(nodes.Count, refused, pod.PreemptNever), reasons);
        }

        var forbidden = AntiAffinity.Forbidden(pod, state);
        var feasible = new List<SchedulingNode>();
        var resolvable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var verdict = Filter(pod, node, state.Usage(node.Name), forbidden, out var canResolve);
            if (verdict.Count == 0 && volumes.Reason(node) is { } volumeReason)
            {
                (verdict, canResolve) = ([volumeReason], false);
            }

            if (verdict.Count == 0)
            {
                feasible.Add(node);
            }
            else
            {
                reasons[node.Name] = verdict;
                if (canResolve)
                {
                    resolvable.Add(node.Name);
                }
            }
        }

        if (feasible.Count > 0)
        {
            return new Placement(Best(pod, feasible, state), string.Empty, reasons);
        }

        var preemption = Preemption(pod, nodes, state, resolvable, forbidden);
        return new Placement(null, FitMessage.Format(nodes.Count, reasons.Values, preemption), reasons);
    }

    /// <summary>The reasons <paramref name="node"/> cannot take the pod (empty when it can), from the first filter that fails.</summary>
    internal static IReadOnlyList<string> Filter(SchedulingPod pod, SchedulingNode node, NodeUsage usage, AntiAffinity.Rules forbidden, out bool resolvable)
    {
        resolvable = false;
        if (node.Unschedulable && !pod.Tolerations.Any(t => t.Tolerates(new Taint(SchedulingNode.UnschedulableTaint, string.Empty, Taint.NoSchedule))))
        {
            return [FitMessage.Unschedulable];
        }

        if (Toleration.FirstUntolerated(node.Taints, pod.Tolerations, Taint.NoSchedule, Taint.NoExecute) is { } taint)
        {
            return [FitMessage.UntoleratedTaint(taint)];
        }

        if (!NodeAffinity.Matches(pod, node))
        {
            return [FitMessage.NodeAffinity];
        }

        resolvable = true;
        var fit = Fits(pod, node, usage);
        if (fit.Count > 0)
        {
            return fit;
        }

        return forbidden.Reason(node) is { } antiAffinity ? [antiAffinity] : [];
    }

    /// <summary>The NodePorts and NodeResourcesFit filters against a node's usage.</summary>
    private static List<string> Fits(SchedulingPod pod, SchedulingNode node, NodeUsage usage)
    {
        if (pod.Ports.Count > 0 && usage.PortsConflict(pod.Ports))
        {
            return [FitMessage.Ports];
        }

        var reasons = new List<string>();
        if (usage.PodCount + 1 > node.AllocatablePods)
        {
            reasons.Add(FitMessage.TooManyPods);
        }

        if (pod.Requests.IsZero)
        {
            return reasons;
        }

        var free = node.Allocatable - usage.Requested;
        if (pod.Requests.MilliCpu > 0 && pod.Requests.MilliCpu > free.MilliCpu)
        {
            reasons.Add(FitMessage.InsufficientCpu);
        }

        if (pod.Requests.Memory > 0 && pod.Requests.Memory > free.Memory)
        {
            reasons.Add(FitMessage.InsufficientMemory);
        }

        return reasons;
    }

    /// <summary>
    /// The message upstream's DefaultPreemption would add. Nodes rejected for what evicting pods cannot change get
    /// "Preemption is not helpful"; the others "No preemption victims found" when no pod there has a lower priority,
    /// or the reasons left after removing every lower-priority pod. When removing them would make room somewhere,
    /// upstream would preempt and add nothing; this scheduler does not preempt (see docs/scheduler.md) and adds
    /// nothing either.
    /// </summary>
    private static string? Preemption(SchedulingPod pod, IReadOnlyList<SchedulingNode> nodes, ClusterState state, HashSet<string> resolvable, AntiAffinity.Rules forbidden)
    {
        if (pod.PreemptNever)
        {
            return "preemption: " + FitMessage.PreemptNever;
        }

        var verdicts = new List<IReadOnlyList<string>>();
        foreach (var node in nodes)
        {
            if (!resolvable.Contains(node.Name))
            {
                verdicts.Add([FitMessage.PreemptionNotHelpful]);
                continue;
            }

            var usage = state.Usage(node.Name);
            if (!usage.Pods.Values.Any(p => p.Priority < pod.Priority))
            {
                verdicts.Add([FitMessage.NoVictims]);
                continue;
            }

            var remaining = Fits(pod, node, usage.Without(p => p.Priority < pod.Priority));
            if (remaining.Count == 0 && forbidden.Reason(node) is { } antiAffinity)
            {
                remaining.Add(antiAffinity);
            }

            if (remaining.Count == 0)
            {
                return null;
            }

            verdicts.Add(remaining);
        }

        return "preemption: " + FitMessage.Format(nodes.Count, verdicts, null);
    }

    private static string Best(SchedulingPod pod, List<SchedulingNode> feasible, ClusterState state)
    {
        if (feasible.Count == 1)
        {
            return feasible[0].Name;
        }

        var spread = new long[feasible.Count];
        var taints = new long[feasible.Count];
        var affinity = new long[feasible.Count];
        for (var i = 0; i < feasible.Count; i++)
        {
            spread[i] = state.Usage(feasible[i].Name).ControllerCount(pod.ControllerUid);
            taints[i] = Toleration.CountUntoleratedPreferNoSchedule(feasible[i].Taints, pod.Tolerations);
            affinity[i] = NodeAffinity.PreferredWeight(pod, feasible[i]);
        }

        Normalize(spread, reverse: true);
        Normalize(taints, reverse: true);
        Normalize(affinity, reverse: false);
        var seed = pod.Uid.Length > 0 ? pod.Uid : pod.Key;
        string? best = null;
        var bestScore = long.MinValue;
        var bestTie = ulong.MaxValue;
        for (var i = 0; i < feasible.Count; i++)
        {
            var node = feasible[i];
            var score = LeastAllocated(pod, node, state.Usage(node.Name)) + (2 * spread[i]) + (3 * taints[i]) + (2 * affinity[i]);
            var tie = TieBreak(seed, node.Name);
            if (score > bestScore || (score == bestScore && tie < bestTie))
            {
                (best, bestScore, bestTie) = (node.Name, score, tie);
            }
        }

        return best!;
    }

    /// <summary>NodeResourcesFit's LeastAllocated score: the free share of cpu and memory after the pod, averaged, 0-100.</summary>
    internal static long LeastAllocated(SchedulingPod pod, SchedulingNode node, NodeUsage usage)
    {
        var requested = usage.NonZeroRequested + pod.NonZeroRequests;
        return (Free(requested.MilliCpu, node.Allocatable.MilliCpu) + Free(requested.Memory, node.Allocatable.Memory)) / 2;

        static long Free(long requested, long capacity) =>
            capacity == 0 || requested > capacity ? 0 : (capacity - requested) * MaxScore / capacity;
    }

    /// <summary>Upstream's DefaultNormalizeScore: scales to 0-100 by the highest, reversed when fewer is better.</summary>
    internal static void Normalize(long[] scores, bool reverse)
    {
        var max = scores.Length == 0 ? 0 : scores.Max();
        for (var i = 0; i < scores.Length; i++)
        {
            var score = max == 0 ? 0 : MaxScore * scores[i] / max;
            scores[i] = reverse ? MaxScore - score : score;
        }
    }

    /// <summary>FNV-1a of the pod's uid and the node's name: a fixed pseudo-random order of nodes per pod.</summary>
    private static ulong TieBreak(string seed, string node)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in seed)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ '/') * 1099511628211UL;
        foreach (var c in node)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
