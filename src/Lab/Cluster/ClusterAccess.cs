using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// How the host reaches a running lab cluster: the API its load balancer publishes on 127.0.0.1, the admin
/// kubeconfig (read again from a server when <c>~/.k3slab/&lt;name&gt;</c> no longer has it), and a status reader.
/// </summary>
internal static class ClusterAccess
{
    /// <summary>The API through <paramref name="balancer"/>'s published port.</summary>
    public static async Task<Uri> ApiAsync(INodeProvider provider, LabNode balancer, CancellationToken cancellationToken)
    {
        var ports = await provider.PublishedPortsAsync(balancer, cancellationToken);
        return ports.TryGetValue(LabNaming.ApiPort, out var port)
            ? new Uri($"https://127.0.0.1:{port}")
            : throw new LabSetupException($"{balancer.Name} publishes no API port");
    }

    /// <summary>The kubeconfig's path and a status reader that asks <paramref name="server"/> for voters; the caller disposes the reader.</summary>
    public static async Task<(string Kubeconfig, ClusterStatusReader Status)> OpenAsync(INodeProvider provider, string cluster, LabNode server, Uri api, CancellationToken cancellationToken)
    {
        var path = ClusterKubeconfig.PathFor(cluster);
        var kubeconfig = File.Exists(path) ? path : await ClusterKubeconfig.FetchAsync(provider, server.Name, cluster, api, cancellationToken);
        var token = await ClusterToken.ReadAsync(provider, server, cancellationToken);
        return (kubeconfig, new ClusterStatusReader(kubeconfig, server.Address, token));
    }

    /// <summary>The last <paramref name="count"/> lines of <paramref name="node"/>'s output, or why they could not be read.</summary>
    public static async Task<string> LastLinesAsync(INodeProvider provider, LabNode node, int count)
    {
        try
        {
            return string.Join('\n', (await provider.LogsAsync(node, CancellationToken.None)).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(count));
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            return $"(its log could not be read: {e.Message})";
        }
    }
}
