using DotNet.Testcontainers.Builders;
using K3sLab.Tests.Support;

namespace K3sLab.ChaosTests.Faults;

/// <summary>
/// The precondition of every network fault: a container without NET_ADMIN cannot change its iptables rules.
/// Lab nodes always get NET_ADMIN; <see cref="NetworkFaultTests"/> checks the faults themselves.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class NetAdminTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    [Fact]
    public async Task ContainerWithoutNetAdmin_CannotChangeRules()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var container = new ContainerBuilder(image.Image)
            .WithCommand("sleep", "infinity")
            .WithLabel("k3slab.role", "test")
            .Build();
        await container.StartAsync(ct);

        var result = await container.ExecAsync(["iptables", "-A", "OUTPUT", "-j", "DROP"], ct);

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("Permission denied");
    }
}
