using K3sLab.K3s.Controllers;

namespace K3sLab.Lab.Tests.Controllers;

[Trait("Category", "Unit")]
public sealed class ControllerSelectionTests
{
    [Fact]
    public void All_RunsEveryDefaultController_ButNotThoseOffByDefault()
    {
        ControllerSelection.All.IsEnabled("deployment-controller").Should().BeTrue();
        ControllerSelection.All.IsEnabled("token-cleaner-controller").Should().BeFalse("kube leaves it off unless named");
    }

    [Fact]
    public void Parse_NamesAndAliases_EnableOnlyThoseNamed()
    {
        var selection = ControllerSelection.Parse("serviceaccount,root-ca-certificate-publisher-controller");
        selection.IsEnabled("serviceaccount-controller").Should().BeTrue("the alias names it");
        selection.IsEnabled("root-ca-certificate-publisher-controller").Should().BeTrue();
        selection.IsEnabled("deployment-controller").Should().BeFalse("there is no *");
    }

    [Fact]
    public void Parse_StarWithExclusions_DisablesOnlyThose_FirstEntryWins()
    {
        var selection = ControllerSelection.Parse("*,-garbagecollector,-job-controller");
        selection.IsEnabled("garbage-collector-controller").Should().BeFalse();
        selection.IsEnabled("job-controller").Should().BeFalse();
        selection.IsEnabled("replicaset-controller").Should().BeTrue();
        ControllerSelection.Parse("job,-job").IsEnabled("job-controller").Should().BeTrue("the first entry naming a controller decides");
        ControllerSelection.Parse("*,tokencleaner").IsEnabled("token-cleaner-controller").Should().BeTrue("naming one that is off by default turns it on");
    }

    [Fact]
    public void Parse_UnknownNames_AreRefusedWithKubesMessage()
    {
        var parse = () => ControllerSelection.Parse("*,-nope,deploymnet");
        parse.Should().Throw<FormatException>().WithMessage("\"nope\" is not in the list of known controllers; \"deploymnet\" is not in the list of known controllers");
    }
}
