using System.Net;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// The nodes of one multi-node test, on a random <c>127.x.y.0/24</c> so each node has its own loopback address and
/// k3s's fixed ports, with one temp folder for their data dirs and files. Disposing kills every node and deletes the
/// folder.
/// </summary>
internal sealed class LoopbackCluster(string prefix) : IAsyncDisposable
{
    private readonly byte[] _net = [127, (byte)Random.Shared.Next(10, 250), (byte)Random.Shared.Next(0, 255)];
    private readonly List<NodeProcess> _nodes = [];

    /// <summary>The test's temp folder: one sub-folder per node, and room for the test's own files.</summary>
    public DirectoryInfo Root { get; } = Directory.CreateTempSubdirectory(prefix);

    public IPAddress Address(byte host) => new([.. _net, host]);

    public ServerNode Server(string name, byte host, bool runsKubelet = false) =>
        Add(new ServerNode(name, Address(host), Root.FullName) { RunsKubelet = runsKubelet });

    /// <summary>
    /// The same server at another loopback address with a copy of its data dir, as a machine or container that came
    /// back with a new IP and its disk; <paramref name="node"/> must be stopped.
    /// </summary>
    public ServerNode Moved(ServerNode node, byte host)
    {
        var moved = Server(node.Name, host, node.RunsKubelet);
        Copy(new DirectoryInfo(node.DataDir), moved.DataDir);
        return moved;
    }

    public AgentNode Agent(string name, byte host, int loadBalancerPort) => Add(new AgentNode(name, Address(host), Root.FullName, loadBalancerPort));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Root.Delete(recursive: true);
    }

    private static void Copy(DirectoryInfo from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in from.EnumerateFiles())
        {
            file.CopyTo(Path.Combine(to, file.Name));
        }

        foreach (var directory in from.EnumerateDirectories())
        {
            Copy(directory, Path.Combine(to, directory.Name));
        }
    }

    private T Add<T>(T node)
        where T : NodeProcess
    {
        _nodes.Add(node);
        return node;
    }
}
