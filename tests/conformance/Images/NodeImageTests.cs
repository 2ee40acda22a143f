using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Images;

[Trait("Category", "Conformance")]
public sealed class NodeImageTests : IClassFixture<NodeImageFixture>
{
    private readonly NodeImageFixture _fixture;

    public NodeImageTests(NodeImageFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task K3sVersion_InsideNodeContainer_PrintsRuntimeVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await StartNodeAsync(ct);

        var result = await node.ExecAsync(["k3s", "--version"], ct);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().MatchRegex(@"^k3s version v1\.\d+\.\d+\+k3slab\.\d+ \([0-9a-f]{8}\)\ndotnet version ");
    }

    [Fact]
    public async Task NodeImage_CarriesOperatorTools()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await StartNodeAsync(ct);

        var result = await node.ExecAsync(["/bin/sh", "-c", "etcdctl version && ip -V && iptables --version && conntrack --version && readlink -f /usr/local/bin/k3s"], ct);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("etcdctl version: 3.4").And.Contain("iproute2").And.Contain("iptables v1.8").And.Contain("conntrack v1.4").And.Contain("/usr/local/lib/k3s/k3s");
    }

    private async Task<IContainer> StartNodeAsync(CancellationToken ct)
    {
        var node = new ContainerBuilder(_fixture.Image)
            .WithCommand("sleep", "infinity")
            .WithLabel("k3slab.role", "test")
            .Build();
        await node.StartAsync(ct);
        return node;
    }
}
