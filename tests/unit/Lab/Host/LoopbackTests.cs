using K3sLab.Lab.Host;

namespace K3sLab.Lab.Tests.Host;

/// <summary>Free loopback ports for servers a test or benchmark is about to start.</summary>
[Trait("Category", "Integration")]
public sealed class LoopbackTests
{
    [Fact]
    public void FreePort_ThreeThousandCalls_NeverHandsOutAPortTwice()
    {
        // Callers take several ports before listening on any; drawn at random from 12,768 ports, 3,000 draws would
        // repeat one almost surely.
        var ports = Enumerable.Range(0, 3000).Select(_ => Loopback.FreePort()).ToList();

        ports.Should().OnlyHaveUniqueItems();
        ports.Should().OnlyContain(p => p >= 20000 && p < 32768);
    }
}
