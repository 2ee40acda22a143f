using K3sLab.Cli.Bench;
using K3sLab.Lab.Bench;

namespace K3sLab.Lab.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class BenchSuitesTests
{
    [Fact]
    public void All_CoversTheIssuesSuites_WithUniqueNames()
    {
        BenchSuites.All.Select(s => s.Name).Should().OnlyHaveUniqueItems()
            .And.Contain(["api", "watch", "store", "raft", "up", "failover", "footprint", "scheduling", "micro"]);
    }

    [Fact]
    public void CommandLines_WatchWithDurationAndRate_RunsTheApiSuitesWatchPhasesOnly()
    {
        var runs = BenchSuites.CommandLines(Suite("watch"), new BenchRequest("/tmp/r", Quick: true, 5, 50, null, null));

        runs.Should().ContainSingle().Which.Args.Should().Equal("api", "--watch-only", "--quick", "--duration", "5", "--rate", "50", "--out", "/tmp/r");
    }

    [Fact]
    public void CommandLines_Failover_RunsRaftFailoverThenTheAgentLoadBalancer()
    {
        var runs = BenchSuites.CommandLines(Suite("failover"), new BenchRequest("out", Quick: false, null, null, null, null));

        runs.Select(r => r.Args[0]).Should().Equal("raft", "agentlb");
        runs.Should().OnlyContain(r => r.Program == BenchProgram.Perf && r.Args.Contains("--out"));
    }

    [Fact]
    public void CommandLines_UpWithServers_PassesTheShape()
    {
        var runs = BenchSuites.CommandLines(Suite("up"), new BenchRequest("out", Quick: false, null, null, 3, null));

        runs.Single().Args.Should().Equal("lab", "--servers", "3", "--agents", "0", "--out", "out");
    }

    [Fact]
    public void CommandLines_OptionTheSuiteDoesNotTake_IsRefusedNamingTheOnesItDoes()
    {
        var run = () => BenchSuites.CommandLines(Suite("footprint"), new BenchRequest("out", Quick: false, 10, null, null, null));

        run.Should().Throw<BenchInputException>().WithMessage("suite 'footprint' takes no --duration; it takes --out");
    }

    [Fact]
    public void CommandLines_NonPositiveRate_IsRefused()
    {
        var run = () => BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: false, null, 0, null, null));

        run.Should().Throw<BenchInputException>().WithMessage("*--rate must be positive*");
    }

    [Fact]
    public void CommandLines_ApiOnACluster_PassesTheClusterName()
    {
        var runs = BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: true, null, null, null, null) { Cluster = "ha3" });

        runs.Single().Args.Should().Equal("api", "--quick", "--cluster", "ha3", "--out", "out");
    }

    [Fact]
    public void CommandLines_ClusterOnASuiteThatStartsItsOwn_IsRefused()
    {
        var run = () => BenchSuites.CommandLines(Suite("store"), new BenchRequest("out", Quick: false, null, null, null, null) { Cluster = "ha3" });

        run.Should().Throw<BenchInputException>().WithMessage("suite 'store' takes no --cluster; it takes --out, --quick, --duration");
    }

    [Fact]
    public void CommandLines_InvalidClusterName_IsRefused()
    {
        var run = () => BenchSuites.CommandLines(Suite("watch"), new BenchRequest("out", Quick: false, null, null, null, null) { Cluster = "Bad_Name" });

        run.Should().Throw<BenchInputException>().WithMessage("--cluster: 'Bad_Name' is not a valid cluster name*");
    }

    [Fact]
    public void CommandLines_Thresholds_ArePassedInOrder()
    {
        var runs = BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: true, null, null, null, null) { Thresholds = ["p99<50ms", "create:errors<0.1%"] });

        runs.Single().Args.Should().Equal("api", "--quick", "--threshold", "p99<50ms", "--threshold", "create:errors<0.1%", "--out", "out");
    }

    [Fact]
    public void CommandLines_MalformedThreshold_IsRefusedBeforeTheRun()
    {
        var run = () => BenchSuites.CommandLines(Suite("watch"), new BenchRequest("out", Quick: false, null, null, null, null) { Thresholds = ["p99 under 50ms"] });

        run.Should().Throw<BenchInputException>().WithMessage("threshold 'p99 under 50ms' is not*");
    }

    [Fact]
    public void CommandLines_ThresholdOnASuiteWithoutThem_IsRefused()
    {
        var run = () => BenchSuites.CommandLines(Suite("up"), new BenchRequest("out", Quick: false, null, null, null, null) { Thresholds = ["p99<50ms"] });

        run.Should().Throw<BenchInputException>().WithMessage("suite 'up' takes no --threshold*");
    }

    [Fact]
    public void CommandLines_Ramp_IsPassedToTheApiSuite_AndAMalformedOneOrAnotherSuiteIsRefused()
    {
        var runs = BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: false, null, null, null, null) { Ramp = "100-3000/s:15" });
        runs.Single().Args.Should().Equal("api", "--ramp", "100-3000/s:15", "--out", "out");

        var malformed = () => BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: false, null, null, null, null) { Ramp = "fast" });
        malformed.Should().Throw<BenchInputException>().WithMessage("arrival schedule 'fast' is not*");

        var watch = () => BenchSuites.CommandLines(Suite("watch"), new BenchRequest("out", Quick: false, null, null, null, null) { Ramp = "100-3000/s:15" });
        watch.Should().Throw<BenchInputException>().WithMessage("suite 'watch' takes no --ramp*");
    }

    [Fact]
    public void CommandLines_FailoverWithLab_RunsTheAgentTrialsInContainers_AndOtherSuitesRefuseIt()
    {
        var runs = BenchSuites.CommandLines(Suite("failover"), new BenchRequest("out", Quick: true, null, null, null, null) { Lab = true });

        runs[0].Args.Should().Equal("raft", "--failover-only", "--quick", "--out", "out");
        runs[1].Args.Should().Equal("agentlb", "--trials", "5", "--lab", "--out", "out");
        var api = () => BenchSuites.CommandLines(Suite("api"), new BenchRequest("out", Quick: false, null, null, null, null) { Lab = true });
        api.Should().Throw<BenchInputException>().WithMessage("suite 'api' takes no --lab*");
    }

    private static BenchSuite Suite(string name) => BenchSuites.All.Single(s => s.Name == name);
}
