using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>Several nodes at once, as <c>k3slab up</c> starts its joining servers and agents together.</summary>
public sealed partial class NodeAdder
{
    /// <summary>
    /// Why <paramref name="servers"/> servers and <paramref name="agents"/> agents cannot join a cluster of
    /// <paramref name="nodes"/>, or null when they can. Pure, so the rules are tested without Docker.
    /// </summary>
    public static string? JoinProblem(IReadOnlyList<LabNode> nodes, int servers, int agents)
    {
        if (servers < 0 || agents < 0)
        {
            return $"join counts cannot be negative (servers {servers}, agents {agents})";
        }

        if (servers + agents < 1)
        {
            return "join at least one server or agent";
        }

        var cluster = nodes.FirstOrDefault()?.Cluster;
        var existingServers = nodes.Count(n => n.Role == NodeRole.Server);
        var existingAgents = nodes.Count(n => n.Role == NodeRole.Agent);
        return cluster is null ? "there is no such cluster: 'k3slab list' shows the clusters there are"
            : existingServers == 0 ? $"cluster '{cluster}' has no server for the new {(servers > 0 ? "servers" : "agents")} to join (and none to copy); create one with 'k3slab up'"
            : !nodes.Any(n => n.Role == NodeRole.LoadBalancer) ? $"cluster '{cluster}' has no load balancer node to join through"
            : existingServers + servers > NetworkPlan.MaxServers ? $"cluster '{cluster}' would have {existingServers + servers} servers; the lab network has room for {NetworkPlan.MaxServers}"
            : existingAgents + agents > NetworkPlan.MaxAgents ? $"cluster '{cluster}' would have {existingAgents + agents} agents; the lab network has room for {NetworkPlan.MaxAgents}"
            : null;
    }

    /// <summary>
    /// Creates <paramref name="servers"/> servers and <paramref name="agents"/> agents in <paramref name="cluster"/>
    /// at once, each made from the last node of its role (agents from a server when there are none) with the next
    /// indices and their static addresses. With new servers the load balancer is first recreated with all of them in
    /// its list and waited for, so none joins through a balancer being replaced. Returns once every new container
    /// runs, without waiting for Ready or voters: the caller decides what to wait for, and how long.
    /// </summary>
    /// <param name="cluster">The cluster's name.</param>
    /// <param name="servers">How many servers join.</param>
    /// <param name="agents">How many agents join.</param>
    /// <param name="balancerTimeout">How long the balancer may take to list the new servers and answer.</param>
    /// <param name="balancerUpdated">Called once the balancer lists the new servers and answers, before any new node is created (not called without new servers).</param>
    /// <param name="cancellationToken">Stops the join; nodes already created stay.</param>
    /// <exception cref="LabSetupException">The join is refused (<see cref="JoinProblem"/>, one server on SQLite), or the balancer did not answer within <paramref name="balancerTimeout"/>.</exception>
    public async Task<IReadOnlyList<LabNode>> JoinAsync(string cluster, int servers, int agents, TimeSpan balancerTimeout, Action? balancerUpdated, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        if (JoinProblem(nodes, servers, agents) is { } problem)
        {
            throw new LabSetupException(problem);
        }

        var plan = await provider.EnsureNetworkAsync(cluster, cancellationToken);
        var existing = nodes.Where(n => n.Role == NodeRole.Server).OrderBy(n => n.Index).ToList();
        var balancer = nodes.First(n => n.Role == NodeRole.LoadBalancer);
        var joinUrl = $"https://{balancer.Address}:{LabNaming.ApiPort}";
        var specs = new List<NodeSpec>();
        if (servers > 0)
        {
            var template = await provider.SpecOfAsync(existing[^1], cancellationToken);
            specs.AddRange(Specs(template, NodeRole.Server, existing[^1].Index + 1, servers, plan, joinUrl));
        }

        if (agents > 0)
        {
            var last = nodes.Where(n => n.Role == NodeRole.Agent).OrderBy(n => n.Index).LastOrDefault();
            var template = last is not null ? await provider.SpecOfAsync(last, cancellationToken) : await AgentFromServerAsync(existing[0], joinUrl, cancellationToken);
            specs.AddRange(Specs(template, NodeRole.Agent, (last?.Index ?? -1) + 1, agents, plan, joinUrl));
        }

        if (servers > 0)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(balancerTimeout);
            try
            {
                await UpdateBalancerAsync(balancer, [.. existing.Select(s => s.Address), .. specs.Where(s => s.Role == NodeRole.Server).Select(s => s.Address)], deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new LabSetupException($"the load balancer {balancer.Name} did not take the new server list and answer /ping within {balancerTimeout.TotalSeconds:0} s");
            }

            balancerUpdated?.Invoke();
        }

        var created = await Task.WhenAll(specs.Select(s => provider.CreateNodeAsync(s, cancellationToken)));
        foreach (var node in created)
        {
            Log.Added(logger, node.Name, node.Address.ToString());
        }

        return created;
    }

    private static IEnumerable<NodeSpec> Specs(NodeSpec template, NodeRole role, int firstIndex, int count, NetworkPlan plan, string joinUrl) =>
        Enumerable.Range(firstIndex, count).Select(index => plan.AddressOf(role, index)).Select((address, i) => template with
        {
            Role = role,
            Index = firstIndex + i,
            Address = address,
            Command = CommandFrom(template.Command, role, address, joinUrl),
            PublishedTcpPorts = null,
        });
}
