using System.Diagnostics;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Stops and starts a whole lab cluster in k3s's order (k3d#452). Stop: agents, then servers from the highest index
/// down to server-0, then the load balancer, then the external datastore's nodes. Start: the datastore's nodes (until
/// they serve), the load balancer, server-0 (the init server), the other servers one at a time, then the agents.
/// </summary>
/// <remarks>
/// A server on the embedded store serves nothing until a quorum of members is back, so starting waits only for each
/// container to run, never for one server's API before the next starts: that wait is the deadlock of k3d#452. Once
/// every node runs, the start waits until the API answers through the load balancer, every Node has reported Ready
/// since the start (a Ready condition written before the stop does not count), and on the embedded store every server
/// is a voter.
/// </remarks>
public sealed partial class ClusterLifecycle(INodeProvider provider, ILogger logger)
{
    /// <summary>The order to stop <paramref name="nodes"/> in.</summary>
    public static IReadOnlyList<LabNode> StopOrder(IEnumerable<LabNode> nodes)
    {
        var list = nodes.ToList();
        return
        [
            .. list.Where(n => n.Role == NodeRole.Agent).OrderByDescending(n => n.Index),
            .. list.Where(n => n.Role == NodeRole.Server).OrderByDescending(n => n.Index),
            .. list.Where(n => n.Role == NodeRole.LoadBalancer),
            .. list.Where(n => LabNaming.IsDatastore(n.Role)).OrderByDescending(n => n.Index),
        ];
    }

    /// <summary>The order to start <paramref name="nodes"/> in.</summary>
    public static IReadOnlyList<LabNode> StartOrder(IEnumerable<LabNode> nodes)
    {
        var list = nodes.ToList();
        return
        [
            .. list.Where(n => LabNaming.IsDatastore(n.Role)).OrderBy(n => n.Index),
            .. list.Where(n => n.Role == NodeRole.LoadBalancer),
            .. list.Where(n => n.Role == NodeRole.Server).OrderBy(n => n.Index),
            .. list.Where(n => n.Role == NodeRole.Agent).OrderBy(n => n.Index),
        ];
    }

    /// <summary>Stops every node of <paramref name="cluster"/> in <see cref="StopOrder"/>; nodes already stopped are left as they are.</summary>
    /// <returns>The nodes this call stopped.</returns>
    public async Task<IReadOnlyList<LabNode>> StopAsync(string cluster, TimeSpan grace, CancellationToken cancellationToken)
    {
        var stopped = new List<LabNode>();
        foreach (var node in StopOrder(await NodesAsync(cluster, cancellationToken)))
        {
            if (node.State == "paused")
            {
                await provider.UnpauseAsync(node, cancellationToken);
            }

            if (node.State is "running" or "paused" or "restarting")
            {
                await provider.StopAsync(node, grace, cancellationToken);
                Log.Stopped(logger, node.Name);
                stopped.Add(node);
            }
        }

        return stopped;
    }

    /// <summary>
    /// Starts every node of <paramref name="cluster"/> in <see cref="StartOrder"/> and waits until the cluster is
    /// healthy again, within <paramref name="timeout"/>; fails naming what it was waiting for.
    /// </summary>
    public async Task<ClusterStartResult> StartAsync(string cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var nodes = StartOrder(await NodesAsync(cluster, cancellationToken));
        var clock = Stopwatch.StartNew();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var step = "starting the nodes";
        try
        {
            var datastore = nodes.Where(n => LabNaming.IsDatastore(n.Role)).ToList();
            foreach (var node in datastore)
            {
                await StartOneAsync(node, deadline.Token);
            }

            if (datastore.Count > 0)
            {
                step = "waiting for the external datastore to serve";
                await ClusterCreator.WaitAsync(async () => await DatastoreHealth.IsHealthyAsync(provider, datastore[0], deadline.Token) == true, deadline.Token);
            }

            step = "starting the nodes";
            foreach (var node in nodes.Where(n => !LabNaming.IsDatastore(n.Role)))
            {
                await StartOneAsync(node, deadline.Token);
            }

            var balancer = nodes.FirstOrDefault(n => n.Role == NodeRole.LoadBalancer) ?? throw new LabSetupException($"cluster '{cluster}' has no load balancer node");
            var api = await ClusterAccess.ApiAsync(provider, balancer, deadline.Token);
            step = "waiting for the API to answer through the load balancer";
            await ClusterCreator.WaitAsync(() => ClusterCreator.PingAsync(api, deadline.Token), deadline.Token);

            var servers = nodes.Where(n => n.Role == NodeRole.Server).ToList();
            var k3sNodes = nodes.Count(n => LabNaming.IsK3sNode(n.Role));
            var (kubeconfig, reader) = await ClusterAccess.OpenAsync(provider, cluster, servers[0], api, deadline.Token);
            using var status = reader;
            step = $"waiting for {k3sNodes} nodes to report Ready since the start";
            await ClusterCreator.WaitAsync(async () => await status.ReadyNodesAsync(since, deadline.Token) >= k3sNodes, deadline.Token);
            var voters = 0;
            if (datastore.Count == 0 && servers.Count > 1)
            {
                step = $"waiting for {servers.Count} datastore voters";
                await ClusterCreator.WaitAsync(async () => (voters = (await status.VotersAsync(deadline.Token)).Count) >= servers.Count, deadline.Token);
            }

            Log.Started(logger, cluster, k3sNodes, clock.Elapsed.TotalSeconds);
            return new ClusterStartResult(api, kubeconfig, k3sNodes, voters, clock.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LabSetupException($"Starting cluster '{cluster}' did not finish within {timeout.TotalSeconds:0} s while {step}. 'k3slab status --name {cluster}' shows each node; 'k3slab logs <node> --name {cluster}' shows why.");
        }
    }

    private async Task<IReadOnlyList<LabNode>> NodesAsync(string cluster, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        return nodes.Count > 0 ? nodes : throw new LabSetupException($"there is no cluster '{cluster}': 'k3slab list' shows the clusters there are");
    }

    private async Task StartOneAsync(LabNode node, CancellationToken cancellationToken)
    {
        if (node.State == "paused")
        {
            await provider.UnpauseAsync(node, cancellationToken);
        }
        else if (node.State != "running")
        {
            await provider.StartAsync(node, cancellationToken);
        }

        await ClusterCreator.WaitAsync(async () => (await provider.ListNodesAsync(node.Cluster, cancellationToken)).Any(n => n.Name == node.Name && n.IsRunning), cancellationToken);
        Log.NodeRunning(logger, node.Name);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9110, Level = LogLevel.Information, Message = "stopped {Node}")]
        public static partial void Stopped(ILogger logger, string node);

        [LoggerMessage(EventId = 9111, Level = LogLevel.Information, Message = "{Node} is running")]
        public static partial void NodeRunning(ILogger logger, string node);

        [LoggerMessage(EventId = 9112, Level = LogLevel.Information, Message = "cluster {Cluster} is back: {Count} nodes Ready ({Seconds:0.0} s)")]
        public static partial void Started(ILogger logger, string cluster, int count, double seconds);
    }
}

/// <summary>What <see cref="ClusterLifecycle.StartAsync"/> found when the cluster was healthy again.</summary>
/// <param name="Api">The API through the load balancer.</param>
/// <param name="Kubeconfig">The admin kubeconfig's path.</param>
/// <param name="ReadyNodes">How many Nodes reported Ready since the start.</param>
/// <param name="Voters">The embedded datastore's voters (0 on SQLite or an external datastore).</param>
/// <param name="Elapsed">From the first start to healthy.</param>
public sealed record ClusterStartResult(Uri Api, string Kubeconfig, int ReadyNodes, int Voters, TimeSpan Elapsed);
