using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Cli;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ServerComponentFlagsTests
{
    [Fact]
    public void DisabledComponents_RepeatedAndCommaSeparated_AllNamed()
    {
        ServerCommand.DisabledComponents(["coredns,traefik", " servicelb "]).Should().BeEquivalentTo("coredns", "traefik", "servicelb");
    }

    [Fact]
    public void DisabledComponents_UnknownName_RefusedWithTheValidOnes()
    {
        var refuse = () => ServerCommand.DisabledComponents(["coreDNS"]);

        refuse.Should().Throw<BootstrapException>().WithMessage("--disable coreDNS: not a packaged component (valid items: coredns, servicelb, traefik, local-storage, metrics-server, runtimes)");
    }

    [Fact]
    public void LocalStoragePath_DataDirStorageByDefault_TheFlagWhenGiven_NoneWhenDisabled()
    {
        ServerCommand.LocalStoragePath(new HashSet<string>(), null, "/var/lib/rancher/k3s").Should().Be("/var/lib/rancher/k3s/storage");
        ServerCommand.LocalStoragePath(new HashSet<string>(), "/srv/volumes", "/var/lib/rancher/k3s").Should().Be("/srv/volumes");
        ServerCommand.LocalStoragePath(new HashSet<string> { "local-storage" }, "/srv/volumes", "/var/lib/rancher/k3s").Should().BeNull();
    }

    [Fact]
    public void CheckClusterDns_AddressOfTheServiceRange_Accepted()
    {
        ServerCommand.CheckClusterDns("10.43.0.10", "10.43.0.0/16").Should().Be("10.43.0.10");
        ServerCommand.CheckClusterDns("10.96.0.10", "10.43.0.0/16,10.96.0.0/12").Should().Be("10.96.0.10");
    }

    [Theory]
    [InlineData("10.44.0.10", "not in the service range --service-cidr 10.43.0.0/16")]
    [InlineData("dns.local", "not an IP address")]
    public void CheckClusterDns_Other_Refused(string value, string why)
    {
        var refuse = () => ServerCommand.CheckClusterDns(value, "10.43.0.0/16");

        refuse.Should().Throw<BootstrapException>().WithMessage($"--cluster-dns {value}: {why}*");
    }
}
