using K3sLab.Lab.Datastores;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Builds a lab cluster from C#, Testcontainers-style:
/// <c>await using var cluster = await new K3sLabClusterBuilder().WithServers(3).WithAgents(2).BuildAndStartAsync();</c>
/// (<c>.WithDatastore(LabDatastore.Etcd)</c> for servers on an external etcd cluster). It makes sure the images exist (publishing the runtime and starting Docker when needed), creates the cluster
/// as <c>k3slab up</c> does, and deletes it when the returned <see cref="RunningCluster"/> is disposed.
/// </summary>
public sealed class K3sLabClusterBuilder
{
    private string _name = "t" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]);
    private int _servers = 1;
    private int _agents;
    private TimeSpan _timeout = TimeSpan.FromSeconds(180);
    private ILogger _logger = NullLogger.Instance;
    private IReadOnlyList<string> _serverArgs = [];
    private IReadOnlyList<string> _agentArgs = [];
    private IReadOnlyDictionary<string, string> _nodeEnvironment = new Dictionary<string, string>();
    private LabDatastore _datastore = LabDatastore.Auto;
    private bool _networkAdmin = true;
    private bool _lossyDisks;

    /// <summary>The cluster name (default: a random <c>t&lt;8 hex&gt;</c>, so parallel tests do not collide).</summary>
    public K3sLabClusterBuilder WithName(string name)
    {
        _name = name;
        return this;
    }

    public K3sLabClusterBuilder WithServers(int servers)
    {
        _servers = servers;
        return this;
    }

    public K3sLabClusterBuilder WithAgents(int agents)
    {
        _agents = agents;
        return this;
    }

    /// <summary>Where the servers keep their state (default: SQLite for one server, the embedded store for more).</summary>
    public K3sLabClusterBuilder WithDatastore(LabDatastore datastore)
    {
        _datastore = datastore;
        return this;
    }

    /// <summary>How long until every node must be Ready (default 180 s).</summary>
    public K3sLabClusterBuilder WithTimeout(TimeSpan timeout)
    {
        _timeout = timeout;
        return this;
    }

    /// <summary>Extra <c>k3s server</c> and <c>k3s agent</c> flags.</summary>
    public K3sLabClusterBuilder WithK3sArgs(IReadOnlyList<string> serverArgs, IReadOnlyList<string> agentArgs)
    {
        (_serverArgs, _agentArgs) = (serverArgs, agentArgs);
        return this;
    }

    /// <summary>Extra environment variables for every server's and agent's <c>k3s</c> process.</summary>
    public K3sLabClusterBuilder WithNodeEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        _nodeEnvironment = environment;
        return this;
    }

    /// <summary>Creates the nodes without NET_ADMIN, so network faults cannot be injected (see <see cref="ClusterSpec.NetworkAdmin"/>).</summary>
    public K3sLabClusterBuilder WithoutNetworkAdmin()
    {
        _networkAdmin = false;
        return this;
    }

    /// <summary>Gives every server and agent a data disk that loses unsynced writes on power loss (see <see cref="ClusterSpec.LossyDisks"/>).</summary>
    public K3sLabClusterBuilder WithLossyDisks(bool lossy = true)
    {
        _lossyDisks = lossy;
        return this;
    }

    /// <summary>Where progress goes (image builds, nodes created, Ready).</summary>
    public K3sLabClusterBuilder WithLogger(ILogger logger)
    {
        _logger = logger;
        return this;
    }

    /// <exception cref="LabSetupException">Docker or the image cannot be set up, the name is taken, or the cluster does not come up in time.</exception>
    public async Task<RunningCluster> BuildAndStartAsync(CancellationToken cancellationToken = default)
    {
        var image = await LabPrerequisites.EnsureNodeImageAsync(_logger, cancellationToken);
        var datastoreImage = _datastore.Resolve(_servers).NeedsDatastoreImage() ? await LabPrerequisites.EnsureDatastoreImageAsync(_logger, cancellationToken) : null;
        var docker = DockerEngine.CreateClient();
        try
        {
            var provider = new DockerProvider(docker);
            var spec = new ClusterSpec(_name, _servers, _agents, 0, _timeout, KeepOnFailure: false) { ServerArgs = _serverArgs, AgentArgs = _agentArgs, NodeEnvironment = _nodeEnvironment, Datastore = _datastore, NetworkAdmin = _networkAdmin, LossyDisks = _lossyDisks };
            var cluster = await new ClusterCreator(provider, _logger).CreateAsync(spec, image, cancellationToken, datastoreImage);
            return new RunningCluster(cluster, provider, docker);
        }
        catch
        {
            docker.Dispose();
            throw;
        }
    }
}
