using Docker.DotNet;
using k8s;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// A lab cluster made by <see cref="K3sLabClusterBuilder"/>: its kubeconfig and API, a Kubernetes client, and its
/// nodes by short name (<c>server-0</c>, <c>agent-1</c>, <c>lb</c>) for faults. Disposing deletes the cluster.
/// </summary>
public sealed class RunningCluster : IAsyncDisposable
{
    private readonly DockerClient _docker;
    private bool _disposed;

    internal RunningCluster(LabCluster cluster, DockerProvider provider, DockerClient docker)
    {
        Info = cluster;
        Provider = provider;
        _docker = docker;
    }

    public LabCluster Info { get; }

    public string Name => Info.Name;

    /// <summary>The admin kubeconfig's path (through the load balancer).</summary>
    public string Kubeconfig => Info.KubeconfigPath;

    public INodeProvider Provider { get; }

    /// <summary>A client for the cluster's API, from <see cref="Kubeconfig"/>; the caller disposes it.</summary>
    public Kubernetes KubernetesClient() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

    /// <summary>A node by short name (<c>server-0</c>) or container name, for <see cref="ClusterNode.KillAsync"/> and the other faults.</summary>
    public ClusterNode Node(string name) =>
        new(Provider, Info.Nodes.FirstOrDefault(n => n.Name == name || n.Name == $"k3slab-{Name}-{name}")
            ?? throw new ArgumentException($"cluster '{Name}' has no node '{name}'", nameof(name)));

    /// <summary>Stops every node in k3s's order, keeping their data (<see cref="ClusterLifecycle.StopAsync"/>).</summary>
    public Task<IReadOnlyList<LabNode>> StopAsync(TimeSpan? grace = null, CancellationToken cancellationToken = default) =>
        new ClusterLifecycle(Provider, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).StopAsync(Name, grace ?? TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>Starts every node in k3s's order and waits until the cluster is healthy (<see cref="ClusterLifecycle.StartAsync"/>).</summary>
    public Task<ClusterStartResult> StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new ClusterLifecycle(Provider, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).StartAsync(Name, timeout ?? TimeSpan.FromSeconds(180), cancellationToken);

    /// <summary>Deletes the cluster and releases the Docker client; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Provider.DeleteClusterAsync(Name, CancellationToken.None);
            var folder = Path.GetDirectoryName(ClusterKubeconfig.PathFor(Name))!;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        finally
        {
            _docker.Dispose();
        }
    }
}

/// <summary>One node of a <see cref="RunningCluster"/> and the lifecycle faults on it.</summary>
public sealed class ClusterNode(INodeProvider provider, LabNode node)
{
    public LabNode Node { get; } = node;

    /// <summary>SIGKILL to the whole container: power loss, as far as the node's processes can tell (and for its disk too, with a lossy disk).</summary>
    public Task<PowerLoss> KillAsync(CancellationToken cancellationToken = default) => provider.KillAsync(Node, cancellationToken);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/> (default 10 s).</summary>
    public Task StopAsync(TimeSpan? grace = null, CancellationToken cancellationToken = default) => provider.StopAsync(Node, grace ?? TimeSpan.FromSeconds(10), cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken = default) => provider.StartAsync(Node, cancellationToken);

    public Task PauseAsync(CancellationToken cancellationToken = default) => provider.PauseAsync(Node, cancellationToken);

    public Task UnpauseAsync(CancellationToken cancellationToken = default) => provider.UnpauseAsync(Node, cancellationToken);

    public Task<NodeExecResult> ExecAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default) => provider.ExecAsync(Node, command, cancellationToken);
}
