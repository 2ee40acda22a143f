using K3sLab.ConformanceTests.Controllers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// <c>kubectl get componentstatuses</c> (kubectl 1.27 and 1.33) against real <c>k3s server</c> processes: with the
/// scheduler and controllers on, every component is Healthy; on a server started without them, each says why it is
/// not, the datastore is still Healthy, an unknown name is NotFound, and kubectl prints the API's deprecation warning.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ComponentStatusTests(K3sServerProcess bare, ControllersServer full) : IClassFixture<K3sServerProcess>, IClassFixture<ControllersServer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task GetCs_ServerWithoutSchedulerAndControllers_DatastoreHealthy_OthersSayWhy(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        string[] expected =
        [
            "controller-manager Unhealthy kube-controller-manager does not run on this server (--disable-controller-manager)",
            "etcd-0 Healthy ok",
            "scheduler Unhealthy kube-scheduler does not run on this server (--disable-scheduler)",
        ];

        var result = await Eventually.UntilAsync(() => Kubectl.RunAsync(kubectl, bare.Kubeconfig, ct, "get", "cs", "--no-headers"), r => Rows(r.Stdout).SequenceEqual(expected), Within, ct);

        result.ExitCode.Should().Be(0, result.Stderr + bare.Log);
        Rows(result.Stdout).Should().Equal(expected);
        result.Stderr.Should().Contain("Warning: v1 ComponentStatus is deprecated in v1.19+");

        var missing = await Kubectl.RunAsync(kubectl, bare.Kubeconfig, ct, "get", "componentstatus", "kube-proxy");
        missing.ExitCode.Should().NotBe(0);
        missing.Stderr.Should().Contain("Error from server (NotFound): componentstatus \"kube-proxy\" not found");
    }

    [Fact]
    public async Task GetCs_ServerWithSchedulerAndControllers_AllHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        string[] expected = ["controller-manager Healthy ok", "etcd-0 Healthy ok", "scheduler Healthy ok"];

        var result = await Eventually.UntilAsync(() => Kubectl.RunAsync("1.33", full.Server.Kubeconfig, ct, "get", "componentstatuses", "--no-headers"), r => Rows(r.Stdout).SequenceEqual(expected), Within, ct);
        Rows(result.Stdout).Should().Equal(expected, result.Stderr + full.Server.Log);

        var one = await full.GetAsync(ct, "cs", "scheduler");
        one!["conditions"]![0]!.ToJsonString().Should().Be("""{"message":"ok","status":"True","type":"Healthy"}""");
    }

    private static List<string> Rows(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))];
}
