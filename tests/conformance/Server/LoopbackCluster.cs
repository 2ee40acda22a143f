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

    public AgentNode Agent(string name, byte host, int loadBalancerPort) => Add(new AgentNode(name, Address(host), Root.FullName, loadBalancerPort));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Root.Delete(recursive: true);
    }

    private T Add<T>(T node)
        where T : NodeProcess
    {
        _nodes.Add(node);
        return node;
    }
}
