using K3sLab.K3s.Agent.LoadBalancer;

namespace K3sLab.Lab.Tests.Agent;

[Trait("Category", "Integration")]
public sealed class LoadBalancerStateFileTests : IDisposable
{
    private const string Url = "https://k3slab-dev-lb:6443";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-lbstate-");

    private string PathOf => Path.Combine(_dir.FullName, "etc", "k3s-agent-load-balancer.json");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void SaveThenLoad_SameServerUrl_RestoresAddresses()
    {
        LoadBalancerStateFile.Save(PathOf, Url, ["172.28.0.10:6443", "172.28.0.11:6443"]);

        LoadBalancerStateFile.Load(PathOf, Url).Should().BeEquivalentTo((new[] { "172.28.0.10:6443", "172.28.0.11:6443" }, (string?)null));
        File.ReadAllText(PathOf).Should().Be("""{"ServerURL":"https://k3slab-dev-lb:6443","ServerAddresses":["172.28.0.10:6443","172.28.0.11:6443"]}""");
    }

    [Theory]
    [InlineData("{\"ServerURL\": \"https://k3slab-dev-lb:6443\", \"ServerAddresses\": [", "is not a valid load balancer state file")]
    [InlineData("", "is not a valid load balancer state file")]
    [InlineData("{\"ServerURL\": \"https://k3slab-dev-lb:6443\"}", "has no server list")]
    [InlineData("{\"ServerURL\": \"https://old:6443\", \"ServerAddresses\": [\"10.0.0.1:6443\"]}", "was written for https://old:6443")]
    [InlineData("{\"ServerURL\": \"https://k3slab-dev-lb:6443\", \"ServerAddresses\": [\"garbage\", \"10.0.0.1:99999\"]}", "lists no usable addresses")]
    public void Load_BadOrStaleFile_IsIgnoredWithReason(string content, string reason)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf)!);
        File.WriteAllText(PathOf, content);

        var (addresses, ignored) = LoadBalancerStateFile.Load(PathOf, Url);

        addresses.Should().BeEmpty();
        ignored.Should().Contain(reason).And.EndWith("starting from the default server");
    }

    [Fact]
    public void Load_NoFile_IsAFreshStartWithoutComplaint()
    {
        LoadBalancerStateFile.Load(PathOf, Url).Should().BeEquivalentTo((Array.Empty<string>(), (string?)null));
    }
}
