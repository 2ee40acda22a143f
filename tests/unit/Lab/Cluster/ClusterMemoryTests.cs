using K3sLab.Lab.Cluster;

namespace K3sLab.Lab.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class ClusterMemoryTests
{
    private const long GiB = 1024L * 1024 * 1024;

    [Fact]
    public void Shortfall_ThreeServersFiveAgentsOnAFewGibibytes_Fits()
    {
        var spec = new ClusterSpec("c", 3, 5, 0, TimeSpan.FromSeconds(60), KeepOnFailure: false);

        ClusterMemory.Needed(spec).Should().Be((3 * 256 + 5 * 64 + 32) * ClusterMemory.Mebibyte);
        ClusterMemory.Shortfall(spec, 2 * GiB).Should().BeNull();
    }

    [Fact]
    public void Shortfall_MoreNodesThanMemoryAllows_SaysWhatIsNeededAndWhatThereIs()
    {
        var spec = new ClusterSpec("c", 50, 150, 0, TimeSpan.FromSeconds(60), KeepOnFailure: false);

        ClusterMemory.Shortfall(spec, 8 * GiB).Should().Be(
            "50 server(s) and 150 agent(s) need about 22944 MiB (256 MiB per server, 64 per agent, 32 for the load balancer, 512 left to the host), but this host has 8192 MiB available (MemAvailable in /proc/meminfo): create fewer nodes or free memory.");
    }

    [Fact]
    public void HostAvailable_OnLinux_ReadsMemAvailable()
    {
        ClusterMemory.HostAvailable().Should().BeGreaterThan(0);
    }
}
