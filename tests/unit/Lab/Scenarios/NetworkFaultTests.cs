using System.Net;
using K3sLab.Scenarios.Faults;

namespace K3sLab.Lab.Tests.Scenarios;

[Trait("Category", "Unit")]
public sealed class NetworkFaultTests
{
    [Fact]
    public void Isolate_DropsBothDirectionsPerPeer_InTheLabChain()
    {
        var script = new Isolate([IPAddress.Parse("172.28.0.11"), IPAddress.Parse("172.28.0.12")]).ApplyScript();

        script.Should().Contain("iptables -A K3SLAB-FAULTS -s 172.28.0.11 -j DROP")
            .And.Contain("iptables -A K3SLAB-FAULTS -d 172.28.0.11 -j DROP")
            .And.Contain("iptables -A K3SLAB-FAULTS -d 172.28.0.12 -j DROP")
            .And.Contain("iptables -C INPUT -j K3SLAB-FAULTS 2>/dev/null || iptables -I INPUT 1 -j K3SLAB-FAULTS");
    }

    [Fact]
    public void RandomLoss_WritesInvariantProbability_AndRejectsOutOfRange()
    {
        new RandomLoss(0.25).ApplyScript().Should().Contain("--probability 0.25 -j DROP");
        var zero = () => new RandomLoss(0).ApplyScript();
        zero.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void HealScript_RemovesOnlyTheLabChainAndNeverFails()
    {
        NetworkFault.HealScript().Should().Contain("iptables -F K3SLAB-FAULTS").And.Contain("iptables -X K3SLAB-FAULTS").And.EndWith("true");
    }
}
