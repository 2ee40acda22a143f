using System.Net;
using K3sLab.K3s.Agent.LoadBalancer;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>How the balancer reads <c>--server</c> and the host:port addresses it dials.</summary>
[Trait("Category", "Unit")]
public sealed class LoadBalancerAddressTests
{
    private static readonly IPEndPoint Listen = new(IPAddress.Loopback, 6444);

    [Theory]
    [InlineData("https://10.0.0.1:6443", "10.0.0.1:6443")]
    [InlineData("https://server-1.example:6443", "server-1.example:6443")]
    [InlineData("https://server-1.example", "server-1.example:443")]
    [InlineData("https://[fd00::1]:6443", "[fd00::1]:6443")]
    [InlineData("https://127.0.0.1:6443", "127.0.0.1:6443")]
    [InlineData("https://127.0.0.1:6444", null)]
    [InlineData("https://localhost:6444", null)]
    [InlineData("not a url", null)]
    public void DefaultServerOf_ServerUrl_IsItsHostPort_UnlessItIsTheBalancerItself(string url, string? expected)
    {
        LoadBalancerOptions.DefaultServerOf(url, Listen).Should().Be(expected);
    }

    [Theory]
    [InlineData("10.0.0.1:6443", "10.0.0.1:6443")]
    [InlineData("[fd00::1]:6443", "[fd00::1]:6443")]
    [InlineData("server-1.example:6443", "Unspecified/server-1.example:6443")]
    public void EndPointOf_HostPort_ParsesAddressesAndNames(string address, string expected)
    {
        LoadBalancerHost.EndPointOf(address)!.ToString().Should().Be(expected);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("10.0.0.1:0")]
    [InlineData("10.0.0.1:65536")]
    [InlineData(":6443")]
    [InlineData("fd00::1:6443")]
    public void EndPointOf_NotHostPort_IsNull(string address)
    {
        LoadBalancerHost.EndPointOf(address).Should().BeNull();
    }
}
