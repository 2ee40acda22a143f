using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Chaos.Reports;

/// <summary>
/// Keeps every node's output next to a failed run's reports (<c>logs/&lt;node&gt;.log</c>), while the cluster still
/// exists: an agent's load-balancer states, a server's elections and WAL messages are often the only record of why a
/// step failed. The nodes are listed again, so a node the run added is included. A node whose output cannot be read
/// gets a <c>.log</c> file that says why, so the folder always accounts for every node.
/// </summary>
public static class NodeLogs
{
    public static async Task SaveAsync(INodeProvider provider, string cluster, string folder, CancellationToken cancellationToken)
    {
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        var logs = Path.Combine(folder, "logs");
        Directory.CreateDirectory(logs);
        foreach (var node in nodes)
        {
            string text;
            try
            {
                text = await provider.LogsAsync(node, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                text = $"(the output of {node.Name} could not be read: {e.Message})\n";
            }

            await File.WriteAllTextAsync(Path.Combine(logs, node.Name + ".log"), text, cancellationToken);
        }
    }
}
