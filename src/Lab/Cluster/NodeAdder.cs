using System.Diagnostics;
using System.Net;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// <c>k3slab node add server|agent</c>: one more node in a running cluster, made from a node of the same role (its
/// image, environment, provisioned files and k3s flags) with the next index and its static address. A new server
/// joins through the load balancer (on the embedded store; on an external datastore it points at the same store),
/// and the load balancer node is then recreated with the new server in its list (its published port stays; clients
/// through it see one reconnect). The call waits until the new Node reports Ready and, on the embedded store, until
/// it is a voter.
/// </summary>
public sealed partial class NodeAdder(INodeProvider provider, ILogger logger)
{
    /// <summary>
    /// The new node's command from <paramref name="template"/>'s: its <c>--node-ip</c> becomes
    /// <paramref name="address"/>; a server made from the init server drops <c>--cluster-init</c> and joins through
    /// <paramref name="joinUrl"/>. Refused for a server of a single-server SQLite cluster, which cannot have two.
    /// </summary>
    public static IReadOnlyList<string> CommandFrom(IReadOnlyList<string> template, NodeRole role, IPAddress address, string joinUrl)
    {
        var command = template.ToList();
        var nodeIp = command.IndexOf("--node-ip");
        if (nodeIp < 0 || nodeIp + 1 >= command.Count)
        {
            throw new LabSetupException($"the {LabNaming.RoleWord(role)} to copy has no --node-ip in its command ({string.Join(' ', template)})");
        }

        command[nodeIp + 1] = address.ToString();
        if (role != NodeRole.Server)
        {
            return command;
        }

        if (command.Remove("--cluster-init"))
        {
            command.AddRange(["--server", joinUrl]);
        }
        else if (!command.Contains("--server") && !command.Contains("--datastore-endpoint"))
        {
            throw new LabSetupException("this cluster's one server keeps its state in SQLite, which serves one server only: create the cluster with --servers 2 or more, or --datastore embedded|etcd|postgres, to add servers");
        }

        return command;
    }

    /// <summary>Adds a <paramref name="role"/> node (server or agent) to <paramref name="cluster"/> and waits for it; returns it.</summary>
    public async Task<LabNode> AddAsync(string cluster, NodeRole role, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (role is not (NodeRole.Server or NodeRole.Agent))
        {
            throw new LabSetupException($"only servers and agents can be added, not {LabNaming.RoleWord(role)} nodes");
        }

        LabNaming.ValidateClusterName(cluster);
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        if (nodes.Count == 0)
        {
            throw new LabSetupException($"there is no cluster '{cluster}': 'k3slab list' shows the clusters there are");
        }

        var servers = nodes.Where(n => n.Role == NodeRole.Server).ToList();
        var balancer = nodes.FirstOrDefault(n => n.Role == NodeRole.LoadBalancer) ?? throw new LabSetupException($"cluster '{cluster}' has no load balancer node");
        var template = nodes.Where(n => n.Role == role).OrderByDescending(n => n.Index).FirstOrDefault()
            ?? (role == NodeRole.Agent ? null : throw new LabSetupException($"cluster '{cluster}' has no server to copy"));
        var clock = Stopwatch.StartNew();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var step = "reading the cluster";
        LabNode? added = null;
        try
        {
            var plan = await provider.EnsureNetworkAsync(cluster, deadline.Token);
            var index = nodes.Where(n => n.Role == role).Select(n => n.Index + 1).DefaultIfEmpty(0).Max();
            var address = plan.AddressOf(role, index);
            var joinUrl = $"https://{balancer.Address}:{LabNaming.ApiPort}";
            var spec = template is not null
                ? await provider.SpecOfAsync(template, deadline.Token)
                : await AgentFromServerAsync(servers[0], joinUrl, deadline.Token);
            spec = spec with { Index = index, Address = address, Command = CommandFrom(spec.Command, role, address, joinUrl), PublishedTcpPorts = null };
            var api = await ClusterAccess.ApiAsync(provider, balancer, deadline.Token);
            if (role == NodeRole.Server)
            {
                // The balancer first, so the new server joins through one that already lists it.
                step = "giving the load balancer the new server and waiting for it to answer";
                await UpdateBalancerAsync(balancer, [.. servers.Select(s => s.Address), address], deadline.Token);
            }

            step = $"creating {LabNaming.NodeName(cluster, role, index)}";
            var node = await provider.CreateNodeAsync(spec, deadline.Token);
            added = node;
            Log.Added(logger, node.Name, address.ToString());
            var (_, reader) = await ClusterAccess.OpenAsync(provider, cluster, servers[0], api, deadline.Token);
            using var status = reader;
            step = $"waiting for {node.Name} to report Ready";
            await ClusterCreator.WaitAsync(() => status.IsReadySinceAsync(node.Name, since, deadline.Token), deadline.Token);
            // A control-plane-only server (split topology, --disable-etcd) adds no member.
            if (role == NodeRole.Server && !spec.Command.Contains("--disable-etcd") && (await status.VotersAsync(deadline.Token)).Count > 0)
            {
                step = $"waiting for {servers.Count + 1} datastore voters";
                await ClusterCreator.WaitAsync(async () => (await status.VotersAsync(deadline.Token)).Count >= servers.Count + 1, deadline.Token);
            }

            Log.Ready(logger, node.Name, clock.Elapsed.TotalSeconds);
            return node;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var tail = added is null ? string.Empty : $"\n--- {added.Name}, last lines:\n{await ClusterAccess.LastLinesAsync(provider, added, 20)}";
            throw new LabSetupException($"Adding a {LabNaming.RoleWord(role)} to '{cluster}' did not finish within {timeout.TotalSeconds:0} s while {step}. 'k3slab status --name {cluster}' shows each node; 'k3slab logs <node> --name {cluster}' shows why.{tail}");
        }
    }

    /// <summary>A cluster without agents: the first agent is made from a server's image and token.</summary>
    private async Task<NodeSpec> AgentFromServerAsync(LabNode server, string joinUrl, CancellationToken ct)
    {
        var spec = await provider.SpecOfAsync(server, ct);
        var token = spec.Command.SkipWhile(a => a != "--token").Skip(1).FirstOrDefault()
            ?? throw new LabSetupException($"{server.Name}'s command carries no --token to join with");
        return spec with
        {
            Role = NodeRole.Agent,
            Command = ["k3s", "agent", "--server", joinUrl, "--token", token, "--node-ip", server.Address.ToString()],
            Files = [],
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9113, Level = LogLevel.Information, Message = "created {Node} at {Address}")]
        public static partial void Added(ILogger logger, string node, string address);

        [LoggerMessage(EventId = 9114, Level = LogLevel.Information, Message = "recreated {Node} in front of {Count} servers")]
        public static partial void BalancerRecreated(ILogger logger, string node, int count);

        [LoggerMessage(EventId = 9117, Level = LogLevel.Information, Message = "{Node} now balances {Servers}, changed in place")]
        public static partial void BalancerUpdated(ILogger logger, string node, string servers);

        [LoggerMessage(EventId = 9115, Level = LogLevel.Information, Message = "{Node} is Ready ({Seconds:0.0} s)")]
        public static partial void Ready(ILogger logger, string node, double seconds);
    }
}
