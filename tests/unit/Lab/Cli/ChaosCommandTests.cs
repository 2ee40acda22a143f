using System.CommandLine;
using K3sLab.Cli.Commands;

namespace K3sLab.Lab.Tests.Cli;

[Trait("Category", "Unit")]
public sealed class ChaosCommandTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("1e300")]
    public void RecoveryTimeout_OfNoTimeOrMoreThanADay_IsRefusedWhenParsed(string seconds)
    {
        var result = LabCommandLine.Build().Parse(["chaos", "run", "minority-partition", "--recovery-timeout", seconds]);

        result.Errors.Select(e => e.Message).Should().ContainSingle().Which.Should().Contain("--recovery-timeout must be a number of seconds above 0 and at most 86,400");
    }

    [Fact]
    public void RecoveryTimeout_DefaultsToTheRunnersWait_AndTakesSeconds()
    {
        var run = LabCommandLine.Build().Subcommands.Single(c => c.Name == "chaos").Subcommands.Single(c => c.Name == "run");
        var option = (Option<double>)run.Options.Single(o => o.Name == "--recovery-timeout");

        run.Parse(["minority-partition"]).GetValue(option).Should().Be(180);
        var given = run.Parse(["minority-partition", "--recovery-timeout", "20"]);
        given.Errors.Should().BeEmpty();
        given.GetValue(option).Should().Be(20);
    }
}
