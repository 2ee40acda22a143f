using k8s;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Workloads;

/// <summary>
/// Kubernetes clients for the cluster's API, one per place a request can go: <c>lb</c> (the cluster's published
/// address, through its load balancer) or one server's own <c>https://&lt;ip&gt;:6443</c>, with the admin
/// kubeconfig's credentials and CA. Requests time out after <see cref="RequestTimeout"/>.
/// </summary>
public sealed class ApiEndpoints(ChaosNodes nodes) : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, Kubernetes> _clients = new(StringComparer.Ordinal);

    /// <summary>The client for <paramref name="via"/> (<c>lb</c> or a server's short name).</summary>
    public Kubernetes For(string via)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(via, out var client))
            {
                var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(nodes.Cluster.KubeconfigPath);
                if (via != "lb")
                {
                    config.Host = $"https://{nodes[via].Address}:6443";
                }

                config.HttpClientTimeout = RequestTimeout + TimeSpan.FromSeconds(1);
                _clients[via] = client = new Kubernetes(config);
            }

            return client;
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
