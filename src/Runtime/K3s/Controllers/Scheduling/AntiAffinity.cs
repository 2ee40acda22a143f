namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// Required pod anti-affinity (the InterPodAffinity filter's anti-affinity half): a node is refused when, under one
/// of the incoming pod's terms, it shares the term's topology value (its label <c>topologyKey</c>, e.g.
/// <c>kubernetes.io/hostname</c>) with a node running a pod the term selects; and when an existing pod's term selects
/// the incoming pod and the node shares that pod's topology value. A node without the topology label is never
/// refused by that term. Computed once per attempt, in time linear in the pods present.
/// </summary>
internal static class AntiAffinity
{
    /// <summary>The topology values refused for one pod: per topology key, the refused values and why.</summary>
    internal sealed class Rules
    {
        public static readonly Rules None = new();

        private readonly Dictionary<string, HashSet<string>> _own = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _existing = new(StringComparer.Ordinal);

        /// <summary>The anti-affinity reason refusing <paramref name="node"/>, or null.</summary>
        public string? Reason(SchedulingNode node)
        {
            if (Hit(_own, node))
            {
                return FitMessage.AntiAffinity;
            }

            return Hit(_existing, node) ? FitMessage.ExistingAntiAffinity : null;
        }

        internal void Refuse(bool own, string key, string value)
        {
            var map = own ? _own : _existing;
            if (!map.TryGetValue(key, out var values))
            {
                map[key] = values = new HashSet<string>(StringComparer.Ordinal);
            }

            values.Add(value);
        }

        private static bool Hit(Dictionary<string, HashSet<string>> map, SchedulingNode node)
        {
            foreach (var (key, values) in map)
            {
                if (node.Labels.TryGetValue(key, out var value) && values.Contains(value))
                {
                    return true;
                }
            }

            return false;
        }
    }

    public static Rules Forbidden(SchedulingPod pod, ClusterState state)
    {
        var rules = Rules.None;
        if (pod.AntiAffinity.Count > 0)
        {
            rules = new Rules();
            foreach (var (other, nodeName) in state.Pods)
            {
                if (state.Node(nodeName) is not { } node)
                {
                    continue;
                }

                foreach (var term in pod.AntiAffinity)
                {
                    if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Selects(other))
                    {
                        rules.Refuse(own: true, term.TopologyKey, value);
                    }
                }
            }
        }

        foreach (var other in state.PodsWithAntiAffinity)
        {
            if (state.NodeOf(other.Key) is not { } nodeName || state.Node(nodeName) is not { } node)
            {
                continue;
            }

            foreach (var term in other.AntiAffinity)
            {
                if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Selects(pod))
                {
                    if (ReferenceEquals(rules, Rules.None))
                    {
                        rules = new Rules();
                    }

                    rules.Refuse(own: false, term.TopologyKey, value);
                }
            }
        }

        return rules;
    }
}
