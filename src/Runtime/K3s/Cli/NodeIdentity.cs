using System.Security.Cryptography;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Kubelet;

namespace K3sLab.K3s.Cli;

/// <summary>
/// The node flags shared by <c>k3s server</c> and <c>k3s agent</c>: the name (<c>--node-name</c>, lowercased, with
/// <c>--with-node-id</c>'s <c>-&lt;8 hex&gt;</c> suffix read from or written to <c>/etc/rancher/node/id</c> as k3s
/// does), <c>--node-label key=value</c> and <c>--node-taint key=value:Effect</c>. Bad values are one-sentence errors.
/// </summary>
internal static class NodeIdentity
{
    public const string NodeIdFile = "/etc/rancher/node/id";

    public static string Name(string name, bool withNodeId)
    {
        name = name.ToLowerInvariant();
        if (!withNodeId)
        {
            return name;
        }

        if (!File.Exists(NodeIdFile) || File.ReadAllText(NodeIdFile).Trim() is not { Length: 8 })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(NodeIdFile)!);
            AtomicFile.Write(NodeIdFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), AtomicFile.WorldReadable);
        }

        return $"{name}-{File.ReadAllText(NodeIdFile).Trim()}";
    }

    public static Dictionary<string, string> Labels(IEnumerable<string> flags)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var flag in flags)
        {
            var parts = flag.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                throw new BootstrapException($"--node-label {flag}: expected key=value");
            }

            labels[parts[0]] = parts[1];
        }

        return labels;
    }

    public static List<NodeTaint> Taints(IEnumerable<string> flags)
    {
        try
        {
            return [.. flags.Select(NodeTaint.Parse)];
        }
        catch (FormatException e)
        {
            throw new BootstrapException(e.Message);
        }
    }
}
