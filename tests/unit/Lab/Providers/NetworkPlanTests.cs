using System.Net;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Providers;

[Trait("Category", "Unit")]
public sealed class NetworkPlanTests
{
    [Fact]
    public void Choose_SkipsSubnetsInUse()
    {
        var plan = NetworkPlan.Choose([IPNetwork.Parse("172.17.0.0/16"), IPNetwork.Parse("172.28.0.0/24"), IPNetwork.Parse("172.28.1.0/25")]);

        plan.Subnet.Should().Be(IPNetwork.Parse("172.28.2.0/24"));
    }

    [Fact]
    public void Choose_WideNetworkCoveringAllCandidates_FailsWithAdvice()
    {
        var choose = () => NetworkPlan.Choose([IPNetwork.Parse("172.16.0.0/12")]);

        choose.Should().Throw<LabSetupException>().WithMessage("*docker network prune*");
    }

    [Fact]
    public void AddressOf_IsStaticPerRoleAndIndex()
    {
        var plan = new NetworkPlan(IPNetwork.Parse("172.28.5.0/24"));

        plan.Gateway.Should().Be(IPAddress.Parse("172.28.5.1"));
        plan.AddressOf(NodeRole.LoadBalancer, 0).Should().Be(IPAddress.Parse("172.28.5.2"));
        plan.AddressOf(NodeRole.Server, 2).Should().Be(IPAddress.Parse("172.28.5.12"));
        plan.AddressOf(NodeRole.Agent, 4).Should().Be(IPAddress.Parse("172.28.5.104"));
        var tooMany = () => plan.AddressOf(NodeRole.Server, NetworkPlan.MaxServers);
        tooMany.Should().Throw<LabSetupException>();
    }

    [Theory]
    [InlineData("dev", true)]
    [InlineData("ha-3-5", true)]
    [InlineData("Dev", false)]
    [InlineData("1st", false)]
    [InlineData("a_b", false)]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", false)]
    public void ValidateClusterName_AcceptsOnlyShortDnsLabels(string name, bool valid)
    {
        var validate = () => LabNaming.ValidateClusterName(name);

        if (valid)
        {
            validate.Should().NotThrow();
        }
        else
        {
            validate.Should().Throw<LabSetupException>().WithMessage($"'{name}' is not a valid cluster name*");
        }
    }
}
