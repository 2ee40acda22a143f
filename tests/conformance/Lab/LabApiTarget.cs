using System.Text;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// A lab cluster of three servers on the embedded store and one agent, built with the C# cluster API, as the target
/// of API suites that otherwise run against one local <c>k3s server</c>: requests go through the lab's load
/// balancer to any server, and every write is replicated. One cluster per test class; disposing deletes it.
/// </summary>
public sealed class LabApiTarget : IAsyncLifetime, IApiTarget
{
    private RunningCluster? _cluster;

    public DirectoryInfo Root { get; } = Directory.CreateTempSubdirectory("k3slab-labapi-");

    public string Kubeconfig => Cluster.Kubeconfig;

    /// <summary>The last lines of every server's output.</summary>
    public string Log
    {
        get
        {
            var text = new StringBuilder();
            foreach (var server in Cluster.Info.Nodes.Where(n => n.Role == NodeRole.Server))
            {
                var log = Task.Run(() => Cluster.Provider.LogsAsync(server, CancellationToken.None)).GetAwaiter().GetResult();
                text.Append("--- ").AppendLine(server.Name).AppendJoin('\n', log.Split('\n').TakeLast(15)).AppendLine();
            }

            return text.ToString();
        }
    }

    private RunningCluster Cluster => _cluster ?? throw new InvalidOperationException("the lab cluster is not up yet");

    public async ValueTask InitializeAsync() =>
        _cluster = await new K3sLabClusterBuilder().WithServers(3).WithAgents(1).BuildAndStartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Root.Delete(recursive: true);
    }
}
