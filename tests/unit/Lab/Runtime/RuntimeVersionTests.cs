using System.CommandLine;
using System.Text.RegularExpressions;
using K3sLab.K3s.Cli;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class RuntimeVersionTests
{
    [Fact]
    public void Version_PrintsK3sStyleBanner()
    {
        var output = new StringWriter();
        var exit = K3sCommandLine.Build().Parse(["--version"]).Invoke(new InvocationConfiguration { Output = output });

        exit.Should().Be(0);
        output.ToString().Should().MatchRegex(@"^k3s version v1\.\d+\.\d+\+k3slab\.\d+ \([0-9a-f]{8}\)\ndotnet version \d+\.\d+\.\d+");
    }

    [Fact]
    public void ShortVersionFlag_MatchesLongFlag()
    {
        var longOut = new StringWriter();
        var shortOut = new StringWriter();
        K3sCommandLine.Build().Parse(["--version"]).Invoke(new InvocationConfiguration { Output = longOut });
        K3sCommandLine.Build().Parse(["-v"]).Invoke(new InvocationConfiguration { Output = shortOut });

        shortOut.ToString().Should().Be(longOut.ToString());
        Regex.IsMatch(RuntimeVersion.Version, @"^v\d+\.\d+\.\d+\+k3slab\.\d+$").Should().BeTrue();
    }
}
