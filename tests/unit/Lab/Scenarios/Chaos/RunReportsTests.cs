using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Reports;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

[Trait("Category", "Unit")]
public sealed class RunReportsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "k3slab-reports-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task WriteAsync_FailedRun_WritesEveryReportWithTheExplanation()
    {
        var result = Run(passed: false);

        await RunReports.WriteAsync(result, _folder, TestContext.Current.CancellationToken);

        Directory.GetFiles(_folder).Select(Path.GetFileName).Should().BeEquivalentTo(["result.json", "summary.md", "junit.xml", "timeline.svg", "timeline.png", "report.html"]);
        var junit = await File.ReadAllTextAsync(Path.Combine(_folder, "junit.xml"), TestContext.Current.CancellationToken);
        junit.Should().Contain("failures=\"1\"").And.Contain("NOT linearizable on key reg-x-0");
        var markdown = await File.ReadAllTextAsync(Path.Combine(_folder, "summary.md"), TestContext.Current.CancellationToken);
        markdown.Should().StartWith("# demo: FAIL").And.Contain("| linearizable | **FAIL** |").And.Contain("get reg-x-0 -> old@r1");
        var html = await File.ReadAllTextAsync(Path.Combine(_folder, "report.html"), TestContext.Current.CancellationToken);
        html.Should().Contain("<svg").And.Contain("kill server-0");
        new FileInfo(Path.Combine(_folder, "timeline.png")).Length.Should().BeGreaterThan(5_000);
        result.Verdict.Should().StartWith("FAIL demo (repeat 1, seed 7): linearizable: ");
    }

    [Fact]
    public void Summary_SeveralRuns_GivesPassCountAndGapDistribution()
    {
        var summary = ChaosSession.Summary(Run(true).Scenario, [Run(true), Run(false)]);

        summary.Should().StartWith("# demo: 1/2 runs passed").And.Contain("Widest write gap (failover) per run: median 2.00 s").And.NotContain("Stopped");
    }

    [Fact]
    public void Summary_StoppedAtAFailure_SaysHowManyRunsWereAsked()
    {
        var summary = ChaosSession.Summary(Run(true).Scenario, [Run(true), Run(false)], stoppedOf: 20);

        summary.Should().StartWith("# demo: 1/2 runs passed").And.Contain("Stopped at the first failure: run 2 of the 20 asked");
    }

    private static ChaosRunResult Run(bool passed)
    {
        var record = new RunRecord(new RunClock());
        record.Event("fault", "kill server-0");
        record.Operation(new OperationRecord(0, "cas", "reg-x-0", 0, 1_000_000, OperationOutcome.Ok) { Value = "old", Revision = 1 });
        record.Operation(new OperationRecord(0, "cas", "reg-x-0", 1_000_000, 3_000_000, OperationOutcome.Ok) { Expected = 1, Value = "new", Revision = 2 });
        record.Operation(new OperationRecord(1, "read", "reg-x-0", 3_500_000, 3_600_000, OperationOutcome.Ok) { Value = passed ? "new" : "old", Revision = passed ? 2 : 1 });
        record.Member(new MemberObservation(1, "server-0", 2, "server-0", 5));
        var scenario = new ScenarioDefinition("demo", "a demo", 3, 0, [new HealStep(1)], [new CheckSpec(CheckKind.Linearizable, [], null)]);
        var checks = new[] { LinearizableCheck.Run(record.Operations) };
        return new ChaosRunResult(scenario, 7, 1, "c", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(30), [new StepResult(0, "heal", 0, 1, true, null)], checks, record, null);
    }
}
