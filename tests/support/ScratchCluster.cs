using Docker.DotNet;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Tests.Support;

/// <summary>
/// A throw-away lab cluster for one test: a uniquely named network on the real engine, nodes from the node image
/// running <c>sleep infinity</c>, and everything removed on dispose.
/// </summary>
public sealed class ScratchCluster : IAsyncDisposable
{
    private readonly DockerClient _docker = DockerEngine.CreateClient();
    private readonly string _image;

    private ScratchCluster(string image, string name, NetworkPlan plan)
    {
        _image = image;
        Name = name;
        Plan = plan;
        Provider = new DockerProvider(_docker);
    }

    public string Name { get; }

    public NetworkPlan Plan { get; }

    public DockerProvider Provider { get; }

    public DockerClient Docker => _docker;

    public static async Task<ScratchCluster> CreateAsync(string image, CancellationToken ct)
    {
        var name = $"t{Guid.NewGuid():N}"[..12];
        using var docker = DockerEngine.CreateClient();
        var plan = await new DockerProvider(docker).EnsureNetworkAsync(name, ct);
        return new ScratchCluster(image, name, plan);
    }

    public NodeSpec Spec(NodeRole role, int index) => new(Name, role, index, Plan.AddressOf(role, index), _image, ["sleep", "infinity"]);

    public Task<LabNode> AddNodeAsync(NodeRole role, int index, CancellationToken ct) => Provider.CreateNodeAsync(Spec(role, index), ct);

    public async ValueTask DisposeAsync()
    {
        await Provider.DeleteClusterAsync(Name, CancellationToken.None);
        _docker.Dispose();
    }
}
