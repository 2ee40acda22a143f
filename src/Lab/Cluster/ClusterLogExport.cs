using System.Globalization;
using System.Text;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Everything needed to explain a failed run, per node, into one folder (kind's <c>export logs</c>): the engine's
/// description of the container (<c>inspect.json</c>), its whole output (<c>node.log</c>: the k3s server or agent,
/// whose log carries the datastore's, or etcd, PostgreSQL, the balancer), and from inside a running k3s node the pod
/// logs (<c>pods.tar</c>), the agent load balancer's state files (<c>agent-etc.tar</c>) and a listing of the data dir
/// (<c>data-dir.txt</c>); from an etcd node the member list and endpoint status (<c>etcd.txt</c>). A <c>cluster.txt</c>
/// lists the nodes and their states. What cannot be read is noted in the node's <c>errors.txt</c>, not fatal.
/// </summary>
public sealed class ClusterLogExport(INodeProvider provider)
{
    /// <summary>Exports <paramref name="cluster"/> into <paramref name="directory"/> (created); returns the files written.</summary>
    public async Task<IReadOnlyList<string>> ExportAsync(string cluster, string directory, CancellationToken cancellationToken)
    {
        LabNaming.ValidateClusterName(cluster);
        var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
        if (nodes.Count == 0)
        {
            throw new LabSetupException($"there is no cluster '{cluster}': 'k3slab list' shows the clusters there are");
        }

        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var summary = new StringBuilder();
        summary.AppendLine(CultureInfo.InvariantCulture, $"cluster {cluster}, exported {DateTimeOffset.UtcNow:u}");
        foreach (var node in nodes)
        {
            summary.AppendLine(CultureInfo.InvariantCulture, $"{node.Name} {LabNaming.RoleWord(node.Role)} {node.Address} {node.State}");
            written.AddRange(await ExportNodeAsync(node, Path.Combine(directory, node.Name), cancellationToken));
        }

        var clusterFile = Path.Combine(directory, "cluster.txt");
        await File.WriteAllTextAsync(clusterFile, summary.ToString(), cancellationToken);
        written.Add(clusterFile);
        return written;
    }

    private async Task<List<string>> ExportNodeAsync(LabNode node, string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var errors = new StringBuilder();

        async Task Try(string what, Func<Task<string?>> action)
        {
            try
            {
                if (await action() is { } file)
                {
                    written.Add(file);
                }
            }
            catch (Exception e) when (e is LabSetupException or IOException or HttpRequestException or Docker.DotNet.DockerApiException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                errors.AppendLine(CultureInfo.InvariantCulture, $"{what}: {e.Message}");
            }
        }

        await Try("inspect", async () => await WriteTextAsync(Path.Combine(folder, "inspect.json"), await provider.DescribeAsync(node, ct), ct));
        await Try("logs", async () =>
        {
            var path = Path.Combine(folder, "node.log");
            await using var file = File.Create(path);
            await provider.StreamLogsAsync(node, null, follow: false, file, file, ct);
            return path;
        });
        if (node.IsRunning && LabNaming.IsK3sNode(node.Role))
        {
            await Try("pod logs", () => CopyOutAsync(node, "/var/log/pods", Path.Combine(folder, "pods.tar"), ct));
            await Try("agent load balancer state", () => CopyOutAsync(node, "/var/lib/rancher/k3s/agent/etc", Path.Combine(folder, "agent-etc.tar"), ct));
            await Try("data dir listing", async () => await ExecToFileAsync(node, ["ls", "-laR", "/var/lib/rancher/k3s/server/db", "/var/lib/rancher/k3s/agent/etc"], Path.Combine(folder, "data-dir.txt"), ct));
        }

        if (node.IsRunning && node.Role == NodeRole.EtcdServer)
        {
            await Try("etcd members", async () => await ExecToFileAsync(node, [.. SplitTopology.EtcdctlArgs, "--command-timeout=5s", "member", "list", "-w", "table"], Path.Combine(folder, "etcd.txt"), ct));
            await Try("etcd status", async () => await ExecToFileAsync(node, [.. SplitTopology.EtcdctlArgs, "--command-timeout=5s", "endpoint", "status", "-w", "table"], Path.Combine(folder, "etcd-status.txt"), ct));
            await Try("data dir listing", async () => await ExecToFileAsync(node, ["ls", "-laR", "/var/lib/rancher/k3s/server/db"], Path.Combine(folder, "data-dir.txt"), ct));
        }

        if (node.IsRunning && node.Role == NodeRole.Etcd)
        {
            await Try("etcd members", async () => await ExecToFileAsync(node, [.. EtcdTopology.EtcdctlArgs(EtcdTopology.LocalEndpoint), "--command-timeout=5s", "member", "list", "-w", "table"], Path.Combine(folder, "etcd.txt"), ct));
            await Try("etcd status", async () => await ExecToFileAsync(node, [.. EtcdTopology.EtcdctlArgs(EtcdTopology.LocalEndpoint), "--command-timeout=5s", "endpoint", "status", "-w", "table"], Path.Combine(folder, "etcd-status.txt"), ct));
        }

        if (errors.Length > 0)
        {
            written.Add(await WriteTextAsync(Path.Combine(folder, "errors.txt"), errors.ToString(), ct));
        }

        return written;
    }

    private async Task<string?> CopyOutAsync(LabNode node, string path, string file, CancellationToken ct)
    {
        await using (var stream = File.Create(file))
        {
            if (await provider.CopyOutAsync(node, path, stream, ct))
            {
                return file;
            }
        }

        File.Delete(file);
        return null;
    }

    private async Task<string> ExecToFileAsync(LabNode node, IReadOnlyList<string> command, string file, CancellationToken ct)
    {
        var result = await provider.ExecAsync(node, command, ct);
        return await WriteTextAsync(file, $"$ {string.Join(' ', command)}\n{result.Stdout}{result.Stderr}(exit {result.ExitCode})\n", ct);
    }

    private static async Task<string> WriteTextAsync(string path, string text, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path, text, ct);
        return path;
    }
}
