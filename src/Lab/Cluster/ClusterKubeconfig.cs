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

    /// <summary>The user's kubeconfig: the first file in <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>, as kubectl writes.</summary>
    public static string UserPath()
    {
        var variable = Environment.GetEnvironmentVariable("KUBECONFIG");
        var first = variable?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    /// <summary>
    /// Merges <paramref name="cluster"/>'s kubeconfig into <paramref name="target"/> (created with mode 0600 when
    /// missing, replaced atomically otherwise, its mode kept); returns the context name.
    /// </summary>
    public static async Task<string> MergeIntoAsync(string cluster, string target, bool switchContext, CancellationToken ct)
    {
        var source = PathFor(cluster);
        if (!File.Exists(source))
        {
            throw new LabSetupException($"there is no kubeconfig for cluster '{cluster}' at {source}: is the cluster up ('k3slab list')?");
        }

        var context = $"k3slab-{cluster}";
        var existing = File.Exists(target) ? await File.ReadAllTextAsync(target, ct) : string.Empty;
        await WriteAsync(target, KubeconfigMerge.Merge(existing, await File.ReadAllTextAsync(source, ct), context, switchContext), ct);
        return context;
    }

    /// <summary>Takes <paramref name="cluster"/>'s entries out of <paramref name="target"/>; false when it had none.</summary>
    public static async Task<bool> RemoveFromAsync(string cluster, string target, CancellationToken ct)
    {
        if (!File.Exists(target) || KubeconfigMerge.Remove(await File.ReadAllTextAsync(target, ct), $"k3slab-{cluster}") is not { } rest)
        {
            return false;
        }

        await WriteAsync(target, rest, ct);
        return true;
    }

    private static async Task WriteAsync(string path, string text, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var mode = File.Exists(path) ? File.GetUnixFileMode(path) : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var temporary = path + ".k3slab.tmp";
        await File.WriteAllTextAsync(temporary, text, ct);
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
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
