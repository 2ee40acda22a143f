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

    [Fact]
    public void Parse_SyncFrequency_IsAGoDuration_DefaultOneMinute()
    {
        KubeletArgs.Parse([]).SyncFrequency.Should().Be(TimeSpan.FromMinutes(1));
        KubeletArgs.Parse(["sync-frequency=1m30s"]).SyncFrequency.Should().Be(TimeSpan.FromSeconds(90));
        KubeletArgs.Parse(["--sync-frequency=2s"]).SyncFrequency.Should().Be(TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("sync-frequency=500ms", "--kubelet-arg sync-frequency=500ms is not a duration of at least 1s")]
    [InlineData("sync-frequency=often", "--kubelet-arg sync-frequency=often is not a duration of at least 1s")]
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
