using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>What a scenario's node references must name, checked against the cluster before any step runs.</summary>
public sealed partial class ScenarioRunner
{
    /// <summary>
    /// Every node reference must name a node, a node an earlier <c>join</c> adds, a dynamic reference, or a name bound
    /// by an earlier step; requests go to servers or the balancer only; <c>change-ip</c> moves servers and agents
    /// only; and the cluster must run the datastore the scenario asks for. Returns the nodes the joins will add
    /// (short name and role): they take the next indices of the cluster as it is now.
    /// </summary>
    internal static IReadOnlyDictionary<string, NodeRole> CheckReferences(ScenarioDefinition scenario, ChaosNodes nodes)
    {
        var wanted = scenario.Datastore.Resolve(scenario.Servers);
        var external = nodes.ExternalDatastore;
        if ((wanted.IsExternal() || external is not null) && wanted != external)
        {
            throw new ScenarioFormatException($"{scenario.Source}: the scenario asks for datastore {LabDatastores.Word(wanted)}, and cluster '{nodes.Cluster.Name}' runs {(external is { } e ? LabDatastores.Word(e) : "none outside its servers")}");
        }

        var bound = new HashSet<string>(StringComparer.Ordinal);
        var joined = new Dictionary<string, NodeRole>(StringComparer.Ordinal);
        var (nextServer, nextAgent) = (nodes.NextIndex(NodeRole.Server), nodes.NextIndex(NodeRole.Agent));
        foreach (var step in scenario.Steps)
        {
            foreach (var reference in TopologyRules.References(step).Where(r => !nodes.IsKnown(r, bound) && !joined.ContainsKey(r)))
            {
                var later = joined.Count > 0 ? $"; joined so far: {string.Join(", ", joined.Keys)}" : "";
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: no node '{reference}' in a cluster of {scenario.Servers} servers and {scenario.Agents} agents (nodes: {string.Join(", ", nodes.Names)}{later}; also leader, follower, and names bound earlier with 'as')");
            }

            foreach (var reference in TopologyRules.ApiReferences(step).Where(r => joined.TryGetValue(r, out var role) ? role != NodeRole.Server : !nodes.ServesApi(r)))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: '{reference}' serves no Kubernetes API; requests and readyz go to a server or lb");
            }

            if (step is NodeStep { Action: NodeAction.Reimage } reimage && (nodes.ResolveStatic(reimage.Target) is { } target ? nodes[target].Role is NodeRole.Etcd or NodeRole.EtcdServer : nodes.ExternalDatastore is LabDatastore.Etcd or LabDatastore.Split && reimage.Target is "leader" or "follower"))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: an etcd member cannot be re-imaged: with an empty data dir it cannot rejoin its cluster (that takes etcdctl member remove and add); kill, stop or isolate it instead");
            }

            if (step is ChangeIpStep move && (nodes.ResolveStatic(move.Target) is { } moved ? !LabNaming.IsK3sNode(nodes[moved].Role) : move.Target is "lb" || (nodes.ExternalDatastore is LabDatastore.Etcd or LabDatastore.Split && move.Target is "leader" or "follower")))
            {
                throw new ScenarioFormatException($"{scenario.Source}:{step.Line}: change-ip moves a server or an agent; '{move.Target}' is neither");
            }

            if (step is JoinStep join)
            {
                foreach (var i in Enumerable.Range(nextServer, join.Servers))
                {
                    joined[$"server-{i}"] = NodeRole.Server;
                }

                foreach (var i in Enumerable.Range(nextAgent, join.Agents))
                {
                    joined[$"agent-{i}"] = NodeRole.Agent;
                }

                (nextServer, nextAgent) = (nextServer + join.Servers, nextAgent + join.Agents);
            }

            if (((step as NodeStep)?.As ?? (step as IsolateStep)?.As ?? (step as ChangeIpStep)?.As) is { } name)
            {
                bound.Add(name);
            }
        }

        return joined;
    }

    /// <summary>The nodes a <c>no-restarts</c> check names, resolved; only node names, or nodes a join adds, are allowed there.</summary>
    private static IReadOnlyList<string> WatchedForRestarts(ScenarioDefinition scenario, ChaosNodes nodes, IReadOnlyDictionary<string, NodeRole> joined) =>
        [.. scenario.Checks.Where(c => c.Kind == CheckKind.NoRestarts).SelectMany(c => c.Nodes).Select(n => nodes.ResolveStatic(n) ?? (joined.ContainsKey(n) ? n : null)
            ?? throw new ScenarioFormatException($"{scenario.Source}: no-restarts names nodes, and '{n}' is none of {string.Join(", ", nodes.Names.Concat(joined.Keys))}")).Distinct()];
}
