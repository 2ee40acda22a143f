using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Creates a lab cluster as an ordered list of steps, each waiting on a condition with the spec's deadline (kind's
/// actions pipeline): the network; with an external datastore its nodes, until they serve; the load balancer node
/// publishing the API on 127.0.0.1; server-0 (with <c>--cluster-init</c> when the servers share the embedded
/// datastore, with the <c>--datastore-*</c> flags on an external one) until it answers <c>/ping</c> at its address;
/// the other servers (joining through the balancer's address, or on an external datastore finding the cluster's CAs
/// and keys that server-0 stored there, encrypted with the token, as k3s does) and the agents, all at once; the
/// balancer answering <c>/ping</c>; the admin kubeconfig; then every node Ready and, on the embedded store,
/// every server a voter. On failure it names the step and shows the nodes' last log lines, and removes what it made
/// unless told to keep it.
/// </summary>
public sealed partial class ClusterCreator(INodeProvider provider, ILogger logger)
{
    /// <param name="spec">What to create.</param>
    /// <param name="image">The k3s node image.</param>
    /// <param name="datastoreImage">The image of the external datastore's nodes; required for real etcd and PostgreSQL (split's etcd-only servers run <paramref name="image"/>).</param>
    /// <param name="cancellationToken">Cancels creation; what was made is removed.</param>
    public async Task<LabCluster> CreateAsync(ClusterSpec spec, string image, CancellationToken cancellationToken, string? datastoreImage = null)
    {
        LabNaming.ValidateClusterName(spec.Name);
        if (spec.Problem() is { } problem)
        {
            throw new LabSetupException(problem);
        }

        if (spec.ResolvedDatastore.NeedsDatastoreImage() && datastoreImage is null)
        {
            throw new LabSetupException($"--datastore {Datastores.LabDatastores.Word(spec.ResolvedDatastore)} needs the datastore image (LabPrerequisites.EnsureDatastoreImageAsync)");
        }

        if ((await provider.ListNodesAsync(spec.Name, cancellationToken)).Count is > 0 and var count)
        {
            throw new LabSetupException($"Cluster '{spec.Name}' already exists ({count} containers): delete it with 'k3slab down --name {spec.Name}' or choose another --name.");
        }

        if (ClusterMemory.HostAvailable() is { } available && ClusterMemory.Shortfall(spec, available) is { } shortfall)
        {
            throw new LabSetupException(shortfall);
        }

        var apiPort = spec.ApiPort == 0 ? FreePort() : CheckPortFree(spec.ApiPort);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(spec.Timeout);
        var step = "creating the network";
        try
        {
            var plan = await provider.EnsureNetworkAsync(spec.Name, deadline.Token);
            var balancer = plan.AddressOf(NodeRole.LoadBalancer, 0);
            var joinUrl = $"https://{balancer}:{LabNaming.ApiPort}";
            var servers = Enumerable.Range(0, spec.Servers).Select(i => plan.AddressOf(NodeRole.Server, i)).ToList();

            DatastoreConnection? datastore = null;
            if (spec.External)
            {
                step = $"starting the {Datastores.LabDatastores.Word(spec.ResolvedDatastore)} datastore nodes and waiting until they serve";
                datastore = await new DatastoreNodes(provider, logger).CreateAsync(spec, plan, datastoreImage ?? image, token, deadline.Token);
            }

            // Nothing goes through the balancer before server-0 answers, so the two start together.
            step = "starting the load balancer and server-0";
            await Task.WhenAll(
                CreateAsync(spec, NodeRole.LoadBalancer, 0, balancer, image, LoadBalancerCommand(servers), deadline.Token, new Dictionary<int, int> { [LabNaming.ApiPort] = apiPort }),
                CreateAsync(spec, NodeRole.Server, 0, servers[0], image, ServerCommand(spec, servers[0], balancer, token, first: true, joinUrl, datastore), deadline.Token, files: datastore?.ServerFiles));
            var api = new Uri($"https://127.0.0.1:{apiPort}");

            // server-0 is waited for at its own address, not through the balancer: a dial through it before server-0
            // listens marks server-0 failed and moves on to the other servers' addresses, which no container holds
            // yet, and each such dial waits out ARP resolution (3 s) before it fails.
            step = "waiting for server-0 to answer";
            await WaitAsync(() => PingAsync(new Uri($"https://{servers[0]}:{LabNaming.ApiPort}"), deadline.Token), deadline.Token);
            Log.ServerUp(logger, LabNaming.NodeName(spec.Name, NodeRole.Server, 0), clock.Elapsed.TotalSeconds);

            // The others start together: joining servers take the one learner slot in turn (they retry every second
            // while it is held), and agents retry until a server admits them.
            step = "starting the other servers and the agents";
            var others = new List<Task>();
            for (var i = 1; i < spec.Servers; i++)
            {
                others.Add(CreateAsync(spec, NodeRole.Server, i, servers[i], image, ServerCommand(spec, servers[i], balancer, token, first: false, joinUrl, datastore), deadline.Token, files: datastore?.ServerFiles));
            }

            for (var i = 0; i < spec.Agents; i++)
            {
                var address = plan.AddressOf(NodeRole.Agent, i);
                others.Add(CreateAsync(spec, NodeRole.Agent, i, address, image, ["k3s", "agent", "--server", joinUrl, "--token", token, "--node-ip", address.ToString(), .. spec.AgentArgs], deadline.Token));
            }

            await Task.WhenAll(others);
            step = "waiting for the load balancer to reach the servers";
            await WaitAsync(() => PingAsync(api, deadline.Token), deadline.Token);

            step = "reading the admin kubeconfig from server-0";
            var kubeconfig = await ClusterKubeconfig.FetchAsync(provider, LabNaming.NodeName(spec.Name, NodeRole.Server, 0), spec.Name, api, deadline.Token);
            step = $"waiting for {spec.Servers + spec.Agents} Ready nodes";
            using var status = new ClusterStatusReader(kubeconfig, servers[0], token);
            await WaitAsync(async () => await status.ReadyNodesAsync(deadline.Token) >= spec.Servers + spec.Agents, deadline.Token);
            Log.NodesReady(logger, spec.Servers + spec.Agents, clock.Elapsed.TotalSeconds);
            if (spec.Embedded)
            {
                step = $"waiting for {spec.Servers} datastore voters";
                await WaitAsync(async () => (await status.VotersAsync(deadline.Token)).Count >= spec.Servers, deadline.Token);
            }

            return new LabCluster(spec.Name, api, kubeconfig, token, await provider.ListNodesAsync(spec.Name, cancellationToken), clock.Elapsed);
        }
        catch (Exception e) when (e is OperationCanceledException or LabSetupException or Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await CleanUpAsync(spec, CancellationToken.None);
                throw;
            }

            var why = e is OperationCanceledException ? $"not done within {spec.Timeout.TotalSeconds:0} s" : e.Message;
            var logs = await LastLogLinesAsync(spec.Name);
            var kept = spec.KeepOnFailure ? "The containers are kept for inspection (--keep-on-failure); remove them with 'k3slab down'." : "Everything it created is removed; use --keep-on-failure to inspect.";
            if (!spec.KeepOnFailure)
            {
                await CleanUpAsync(spec, CancellationToken.None);
            }

            throw new LabSetupException($"Creating cluster '{spec.Name}' failed while {step}: {why}. {kept}\n{logs}");
        }
    }

    private async Task CreateAsync(ClusterSpec spec, NodeRole role, int index, IPAddress address, string image, string[] command, CancellationToken ct, IReadOnlyDictionary<int, int>? ports = null, IReadOnlyList<NodeFile>? files = null)
    {
        var environment = role is NodeRole.Server or NodeRole.Agent && spec.NodeEnvironment.Count > 0 ? spec.NodeEnvironment : null;
        var node = await provider.CreateNodeAsync(new NodeSpec(spec.Name, role, index, address, image, command, environment, PublishedTcpPorts: ports, NetworkAdmin: spec.NetworkAdmin)
        {
            Files = files ?? [],
            LossyDisk = spec.LossyDisks && role is NodeRole.Server or NodeRole.Agent,
        }, ct);
        Log.NodeCreated(logger, node.Name, address.ToString());
    }

    /// <summary>The load balancer node's command: <c>k3s loadbalancer</c> in front of <paramref name="servers"/>.</summary>
    internal static string[] LoadBalancerCommand(IEnumerable<IPAddress> servers) =>
        ["k3s", "loadbalancer", "--listen", $"0.0.0.0:{LabNaming.ApiPort}", "--servers-file", NodeAdder.BalancerServersFile, "--state-file", NodeAdder.BalancerStateFile, .. servers.SelectMany(s => new[] { "--server", $"{s}:{LabNaming.ApiPort}" })];

    /// <summary>
    /// A server's command: on the embedded store the first one initialises it and the others join through the
    /// balancer; on an external datastore every server gets its flags and none joins (they share the store instead).
    /// </summary>
    internal static string[] ServerCommand(ClusterSpec spec, IPAddress address, IPAddress balancer, string token, bool first, string joinUrl, DatastoreConnection? datastore = null)
    {
        string[] role = datastore is not null ? [.. datastore.ServerArgs] : first ? (spec.Embedded ? ["--cluster-init"] : []) : ["--server", joinUrl];
        return ["k3s", "server", "--token", token, "--node-ip", address.ToString(), "--tls-san", balancer.ToString(), "--tls-san", "127.0.0.1", .. role, .. spec.ServerArgs];
    }

    private async Task CleanUpAsync(ClusterSpec spec, CancellationToken ct)
    {
        try
        {
            await provider.DeleteClusterAsync(spec.Name, ct);
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            Log.CleanUpFailed(logger, spec.Name, e.Message);
        }
    }

    private async Task<string> LastLogLinesAsync(string cluster)
    {
        var lines = new System.Text.StringBuilder();
        try
        {
            foreach (var node in await provider.ListNodesAsync(cluster, CancellationToken.None))
            {
                lines.AppendLine(CultureInfo.InvariantCulture, $"--- {node.Name} ({node.State}), last lines:");
                lines.AppendLine(await ClusterAccess.LastLinesAsync(provider, node, 12));
            }
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            lines.AppendLine(CultureInfo.InvariantCulture, $"(the nodes' logs could not be read: {e.Message})");
        }

        return lines.ToString();
    }

    /// <summary>Whether the API at <paramref name="api"/> answers <c>/ping</c> (no credentials, any certificate: liveness only).</summary>
    internal static async Task<bool> PingAsync(Uri api, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false };

        // Only liveness: no credentials are sent, and the answer is the public "pong".
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            return (await client.GetStringAsync(new Uri(api, "/ping"), ct)).Trim() == "pong";
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 250 ms until it holds or <paramref name="ct"/> is cancelled.</summary>
    internal static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        while (!await condition())
        {
            await Task.Delay(250, ct);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int CheckPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return port;
        }
        catch (SocketException)
        {
            throw new LabSetupException($"--api-port {port} is already in use on 127.0.0.1: choose another port, or 0 for a free one.");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "created {Node} at {Address}")]
        public static partial void NodeCreated(ILogger logger, string node, string address);

        [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "{Node} answers ({Seconds:0.0} s)")]
        public static partial void ServerUp(ILogger logger, string node, double seconds);

        [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "{Count} nodes Ready ({Seconds:0.0} s)")]
        public static partial void NodesReady(ILogger logger, int count, double seconds);

        [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "could not remove cluster {Cluster}: {Reason}; remove it with k3slab down")]
        public static partial void CleanUpFailed(ILogger logger, string cluster, string reason);
    }
}
