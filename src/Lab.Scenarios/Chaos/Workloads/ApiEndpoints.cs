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

    // Clients forgotten while requests may still use them; disposed with the rest.
    private readonly List<Kubernetes> _retired = [];

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

    /// <summary>Drops the client for <paramref name="via"/>, so the next request goes to the node's current address (after <c>change-ip</c>).</summary>
    public void Forget(string via)
    {
        lock (_clients)
        {
            if (_clients.Remove(via, out var client))
            {
                _retired.Add(client);
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values.Concat(_retired))
        {
            client.Dispose();
        }
    }
}
