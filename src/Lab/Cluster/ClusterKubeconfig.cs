using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// The admin kubeconfig of a lab cluster: server-0's <c>/etc/rancher/k3s/k3s.yaml</c> with its server set to the
/// load balancer's published address and its cluster, user and context named <c>k3slab-&lt;name&gt;</c>, written to
/// <c>~/.k3slab/&lt;name&gt;/kubeconfig</c> with mode 0600.
/// </summary>
public static class ClusterKubeconfig
{
    public const string InNode = "/etc/rancher/k3s/k3s.yaml";

    public static string PathFor(string cluster) =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".k3slab", cluster, "kubeconfig");

    /// <summary>Reads the kubeconfig from <paramref name="serverNode"/> once it exists, rewrites it and writes it; returns the path.</summary>
    public static async Task<string> FetchAsync(INodeProvider provider, string serverNode, string cluster, Uri api, CancellationToken ct)
    {
        while (true)
        {
            var node = (await provider.ListNodesAsync(cluster, ct)).FirstOrDefault(n => n.Name == serverNode)
                ?? throw new LabSetupException($"{serverNode} is gone");
            var result = await provider.ExecAsync(node, ["cat", InNode], ct);
            if (result.ExitCode == 0 && result.Stdout.Contains("client-key-data", StringComparison.Ordinal))
            {
                var path = PathFor(cluster);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temporary = path + ".tmp";
                await File.WriteAllTextAsync(temporary, Rewrite(result.Stdout, cluster, api), ct);
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(temporary, path, overwrite: true);
                return path;
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>Points the kubeconfig at <paramref name="api"/> and names everything <c>k3slab-&lt;cluster&gt;</c>.</summary>
    public static string Rewrite(string kubeconfig, string cluster, Uri api)
    {
        var name = $"k3slab-{cluster}";
        var lines = kubeconfig.Split('\n').Select(line =>
        {
            var trimmed = line.TrimStart(' ', '-');
            var indent = line[..(line.Length - trimmed.Length)];
            return trimmed switch
            {
                _ when trimmed.StartsWith("server: ", StringComparison.Ordinal) => $"{indent}server: {api.ToString().TrimEnd('/')}",
                "name: default" or "cluster: default" or "user: default" or "current-context: default" => $"{indent}{trimmed[..(trimmed.IndexOf(':') + 1)]} {name}",
                _ => line,
            };
        });
        return string.Join('\n', lines);
    }
}
