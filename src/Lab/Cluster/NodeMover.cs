using System.Net;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Gives a server or agent another address on its lab network across a clean restart, keeping its disk: what a
/// Docker container without a fixed IP sees after a stop and start or a host reboot (k3d#550, kind#2045). The node
/// is stopped, its k3s state (<see cref="StateFolders"/>) carried over to a container of the same name at a spare
/// address with its <c>--node-ip</c> changed (Docker cannot change a container's command, and k3s reads its address
/// from that flag here), and started. For a server the load balancer's list gets the new address in place of the
/// old one, as an operator would update it, without a restart of the balancer. The node's Ready state and datastore membership are left to it.
/// </summary>
public sealed partial class NodeMover(INodeProvider provider, ILogger logger)
{
    /// <summary>Where a k3s node keeps what survives a restart: the data dir, and the node password and id.</summary>
    public static readonly IReadOnlyList<string> StateFolders = ["/var/lib/rancher", "/etc/rancher"];

    /// <summary><paramref name="command"/> with its <c>--node-ip</c> value replaced by <paramref name="address"/>; nothing else changes.</summary>
    public static IReadOnlyList<string> CommandAt(IReadOnlyList<string> command, IPAddress address)
    {
        var moved = command.ToList();
        var flag = moved.IndexOf("--node-ip");
        if (flag < 0 || flag + 1 >= moved.Count)
        {
            throw new LabSetupException($"the node's command has no --node-ip to change ({string.Join(' ', command)})");
        }

        moved[flag + 1] = address.ToString();
        return moved;
    }

    /// <summary>Moves <paramref name="node"/> to a spare address of its role; returns the node at its new address, started.</summary>
    public async Task<LabNode> MoveAsync(LabNode node, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        if (node.Role is not (NodeRole.Server or NodeRole.Agent))
        {
            throw new LabSetupException($"only servers and agents change address, not {LabNaming.RoleWord(node.Role)} nodes such as {node.Name}");
        }

        var nodes = await provider.ListNodesAsync(node.Cluster, cancellationToken);
        var plan = await provider.EnsureNetworkAsync(node.Cluster, cancellationToken);
        var address = plan.SpareAddress(node.Role, nodes.Select(n => n.Address));
        var spec = await provider.SpecOfAsync(node, cancellationToken);
        spec = spec with { Address = address, Command = CommandAt(spec.Command, address) };
        await provider.StopAsync(node, stopGrace, cancellationToken);
        var moved = await provider.RecreateAsync(node, spec, StateFolders, cancellationToken);
        Log.Moved(logger, node.Name, node.Address.ToString(), address.ToString());
        if (node.Role == NodeRole.Server && nodes.FirstOrDefault(n => n.Role == NodeRole.LoadBalancer) is { } balancer)
        {
            var servers = nodes.Where(n => n.Role == NodeRole.Server).OrderBy(n => n.Index).Select(n => n.Name == node.Name ? address : n.Address).ToList();
            await new NodeAdder(provider, logger).UpdateBalancerAsync(balancer, servers, cancellationToken);
        }

        return moved;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9116, Level = LogLevel.Information, Message = "moved {Node} from {Old} to {New}")]
        public static partial void Moved(ILogger logger, string node, string old, string @new);
    }
}
