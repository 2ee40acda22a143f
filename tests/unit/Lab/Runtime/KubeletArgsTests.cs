using System.Net;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Cli;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class KubeletArgsTests
{
    [Fact]
    public void Parse_Nothing_IsTheNodeIpAndPort10250() =>
        KubeletArgs.Parse([]).Should().Be(new KubeletArgs(null, 10250));

    [Fact]
    public void Parse_AddressAndPort_AsKubeletFlagsOrKeys() =>
        KubeletArgs.Parse(["address=127.0.0.1", "--port=12345"]).Should().Be(new KubeletArgs(IPAddress.Loopback, 12345));

    [Theory]
    [InlineData("port=0", "--kubelet-arg port=0 is not a TCP port")]
    [InlineData("port=x", "--kubelet-arg port=x is not a TCP port")]
    [InlineData("max-pods=50", "--kubelet-arg max-pods=50 is not supported by this build")]
    [InlineData("address=1.2.3", "1.2.3")]
    public void Parse_OtherKeysOrBadValues_AreRefusedByName(string arg, string message)
    {
        var parse = () => KubeletArgs.Parse([arg]);
        parse.Should().Throw<BootstrapException>().WithMessage($"*{message}*");
    }
}
