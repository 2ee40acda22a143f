using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Cli;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class ApiServerArgsTests
{
    [Fact]
    public void Defaults_CompactEvery5Minutes_WithServiceAccountAdmission()
    {
        var args = ApiServerArgs.Parse([], NullLogger.Instance);
        args.CompactionInterval.Should().Be(TimeSpan.FromMinutes(5));
        args.ServiceAccountAdmission.Should().BeTrue();
    }

    [Fact]
    public void DisableAdmissionPlugins_ServiceAccount_TurnsThePluginOff_OtherKnownPluginsAreAccepted()
    {
        var args = ApiServerArgs.Parse(["--etcd-compaction-interval=30s", "disable-admission-plugins=TaintNodesByCondition,ServiceAccount", "enable-admission-plugins=NodeRestriction"], NullLogger.Instance);
        args.ServiceAccountAdmission.Should().BeFalse();
        args.CompactionInterval.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("disable-admission-plugins=ServiceAcount", "disable-admission-plugins plugin \"ServiceAcount\" is unknown")]
    [InlineData("enable-admission-plugins=Nope", "enable-admission-plugins plugin \"Nope\" is unknown")]
    [InlineData("etcd-compaction-interval=soon", "is not a duration")]
    public void BadValues_StopTheServer_InKubeApiserversWords(string arg, string expected)
    {
        var parse = () => ApiServerArgs.Parse([arg], NullLogger.Instance);
        parse.Should().Throw<BootstrapException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void APluginBothEnabledAndDisabled_IsRefused()
    {
        var parse = () => ApiServerArgs.Parse(["enable-admission-plugins=ServiceAccount,PodSecurity", "disable-admission-plugins=ServiceAccount"], NullLogger.Instance);
        parse.Should().Throw<BootstrapException>().Which.Message.Should().Contain("[ServiceAccount] in enable-admission-plugins and disable-admission-plugins overlapped");
    }
}
