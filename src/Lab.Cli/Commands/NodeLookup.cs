using K3sLab.Lab;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>Finds a cluster's node by short name (<c>server-0</c>, <c>agent-1</c>, <c>lb</c>, <c>etcd-0</c>) or container name.</summary>
internal static class NodeLookup
{
    public static async Task<LabNode> FindAsync(INodeProvider provider, string cluster, string wanted, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        return nodes.FirstOrDefault(n => n.Name == wanted || n.Name == $"k3slab-{cluster}-{wanted}")
            ?? throw new LabSetupException($"cluster '{cluster}' has no node '{wanted}'; its nodes: {(nodes.Count == 0 ? "none" : string.Join(", ", nodes.Select(n => n.Name)))}");
    }
}
