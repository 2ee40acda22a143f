using System.Net;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Datastores;

/// <summary>
/// Asks an external datastore node whether it serves, by running the engine's own client inside it: etcdctl
/// <c>endpoint health</c> with the lab's client certificate (healthy means the member answers a quorum read), the
/// same with an etcd-only k3s server's own client certificate, or <c>pg_isready</c> against PostgreSQL's lab address. A node that is stopped, paused or slow reads as unhealthy.
/// </summary>
public static class DatastoreHealth
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    /// <summary>Whether the node serves; null when it is not a datastore node.</summary>
    public static async Task<bool?> IsHealthyAsync(INodeProvider provider, LabNode node, CancellationToken cancellationToken) => node.Role switch
    {
        NodeRole.Etcd => await EtcdHealthyAsync(provider, node, EtcdTopology.LocalEndpoint, cancellationToken),
        NodeRole.Postgres => await SucceedsAsync(provider, node, PostgresTopology.Probe(node.Address), cancellationToken),
        NodeRole.EtcdServer => await SucceedsAsync(provider, node, [.. SplitTopology.EtcdctlArgs, "--dial-timeout=2s", "--command-timeout=3s", "endpoint", "health"], cancellationToken),
        _ => null,
    };

    /// <summary>How many started voters an etcd-only server's member list shows (0 when it does not answer).</summary>
    public static async Task<int> EtcdServerVotersAsync(INodeProvider provider, LabNode node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Bound);
        try
        {
            var result = await provider.ExecAsync(node, [.. SplitTopology.EtcdctlArgs, "--dial-timeout=2s", "--command-timeout=3s", "member", "list", "-w", "simple"], timeout.Token);
            return result.ExitCode == 0 ? SplitTopology.Voters(result.Stdout) : 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    /// <summary>Whether every endpoint in <paramref name="endpoints"/> (comma-separated) is healthy, asked from inside <paramref name="member"/>.</summary>
    public static Task<bool> EtcdHealthyAsync(INodeProvider provider, LabNode member, string endpoints, CancellationToken cancellationToken) =>
        SucceedsAsync(provider, member, [.. EtcdTopology.EtcdctlArgs(endpoints), "--dial-timeout=2s", "--command-timeout=3s", "endpoint", "health"], cancellationToken);

    /// <summary>Whether PostgreSQL at <paramref name="address"/> accepts connections, asked from inside its node.</summary>
    public static Task<bool> PostgresReadyAsync(INodeProvider provider, LabNode node, IPAddress address, CancellationToken cancellationToken) =>
        SucceedsAsync(provider, node, PostgresTopology.Probe(address), cancellationToken);

    private static async Task<bool> SucceedsAsync(INodeProvider provider, LabNode node, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Bound);
        try
        {
            return (await provider.ExecAsync(node, command, timeout.Token)).ExitCode == 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
