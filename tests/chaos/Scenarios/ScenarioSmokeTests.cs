using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// The CI smoke subset of the chaos library, on real 3-server lab clusters in Docker: the leader's power loss under
/// load passes every check and its report shows the fault, the leader change and the write gap; and with the
/// planted stale-reads bug (reads skip ReadIndex) the minority partition's linearizability check fails, naming the
/// key and the stale read; an agent load balancer that never fails back leaves its agent NotReady after every server
/// had an outage in turn; and with the planted ack-before-commit bug (a leader commits without a quorum) the
/// cut-off leader of leader-partition acknowledges writes the new leader overwrites, which a safety check reports.
/// (The simulator's SimulatorTests demonstrate that plant deterministically as well.) A failure message carries the
/// run's verdict and where its reports are.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ScenarioSmokeTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-smoke-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task LeaderPowerLoss_PassesEveryCheck_AndTheReportShowsFaultLeaderChangeAndGap()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("leader-power-loss");

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 11, _reports, null), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Checks.Select(c => c.Name).Should().Equal("linearizable", "watch-guarantees", "no-lost-writes", "one-leader-per-term", "converged", "nodes-stayed-ready", "write-gap");
        var timeline = run.Record.Timeline;
        var kill = timeline.Single(e => e.Kind == "fault" && e.Text.StartsWith("kill server-", StringComparison.Ordinal));
        var victim = kill.Text.Split(' ')[1];
        timeline.Should().Contain(e => e.Kind == "leader" && e.At > kill.At && !e.Text.StartsWith(victim, StringComparison.Ordinal), "a survivor takes over after the kill (placed when it was asked for)");
        run.Record.Operations.Count(o => o.IsWrite && o.Outcome == OperationOutcome.Ok && o.Call > kill.At * 1e6).Should().BeGreaterThan(50, "writes go on after the failover");
        var html = await File.ReadAllTextAsync(Path.Combine(_reports, "leader-power-loss", "run-1", "report.html"), ct);
        html.Should().Contain("<svg").And.Contain($"kill {victim}").And.Contain("widest write gap").And.Contain("datastore leader");
        File.Exists(Path.Combine(_reports, "leader-power-loss", "junit.xml")).Should().BeTrue();
    }

    [Fact]
    public async Task MinorityPartition_WithStaleReadsPlanted_FailsLinearizability_WithTheStaleRead()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        // The bug is in the read path, and a client of the cut server waits 5 s (its timeout) on every write it sends
        // there. At the default 40 % reads (60 % writes), those three clients read only a few times in the 20 s cut,
        // and in one CI run on 2026-12-04 the linearizable check passed. At 70 % reads (20 % ledger appends, 10 %
        // compare-and-swaps, which change the registers the stale reads must contradict) each reads about 2.3 times
        // between two such writes.
        var scenario = WithLoad(ScenarioLibrary.Find("minority-partition"), 3, 70);

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 5, _reports, null, PlantedBug: "stale-reads"), ct)).Single();

        run.Passed.Should().BeFalse($"the planted bug must be caught: {run.Verdict} (reports in {_reports})");
        var check = run.Checks.Single(c => c.Name == "linearizable");
        check.Passed.Should().BeFalse(run.Verdict);
        check.Summary.Should().Contain("NOT linearizable on key reg-");
        check.Details.Should().Contain(d => d.Contains(" get reg-", StringComparison.Ordinal), "the evidence lists the reads");
    }

    [Fact]
    public async Task AgentRotatingOutages_WithNeverFailBackPlanted_TheAgentGoesNotReady()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("agent-rotating-outages");

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 3, _reports, null, PlantedBug: "never-fail-back"), ct)).Single();

        run.Passed.Should().BeFalse($"the planted bug must be caught: {run.Verdict} (reports in {_reports})");
        var ready = run.Checks.Single(c => c.Name == "nodes-stayed-ready");
        ready.Passed.Should().BeFalse(run.Verdict);
        ready.Details.Should().Contain(d => d.StartsWith("agent-0: Ready=", StringComparison.Ordinal), "the evidence says when the agent was seen not Ready");
    }

    [Fact]
    public async Task LeaderPartition_WithAckBeforeCommitPlanted_FailsASafetyCheck_WithTheLostWrite()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = WithLoad(ScenarioLibrary.Find("leader-partition"), 2, 5);

        // The bug shows only if a client of the cut-off server sends a write in the second or so before that server
        // notices it lost its quorum and steps down. One run missed that window once in five on 2026-12-02 (two
        // writes reached the cut server, both after it stepped down); two runs with different seeds must catch it at
        // least once, and the run that does must name the violated check with its evidence. The session stops at the
        // first failure, so a catch in the first run does not wait out a second (about 290 s on a slow host).
        var runs = await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(2, 7, _reports, null, PlantedBug: "ack-before-commit") { StopOnFailure = true }, ct);

        var run = runs[^1];
        run.Passed.Should().BeFalse($"the planted bug must be caught in one of {runs.Count} runs: {string.Join("; ", runs.Select(r => r.Verdict))} (reports in {_reports})");
        runs.SkipLast(1).Where(r => !r.Passed).Should().BeEmpty("the session ends at its first failed run");
        var violated = run.Checks.Where(c => !c.Passed && c.Name is "linearizable" or "no-lost-writes" or "watch-guarantees" or "converged").ToList();
        violated.Should().NotBeEmpty($"a write the cut-off leader acknowledged alone is overwritten by the new leader: {run.Verdict} (reports in {_reports})");
        violated.Should().OnlyContain(c => c.Details.Count > 0, "each violation carries its evidence");
    }

    /// <summary>
    /// The library scenario with <paramref name="perServer"/> clients on every server instead of one, reading
    /// <paramref name="readPercent"/>% of the time. A planted bug shows through the cut-off server only while a client
    /// of it is not waiting out a read that cannot complete, so more clients there, and fewer reads where the bug is in
    /// the write path, make the demonstration all but certain instead of likely.
    /// </summary>
    private static ScenarioDefinition WithLoad(ScenarioDefinition scenario, int perServer, int readPercent) =>
        scenario with
        {
            Steps = [.. scenario.Steps.Select(s => s is StartLoadStep { Via: "each-server" } load ? load with { Clients = perServer * scenario.Servers, ReadPercent = readPercent } : s)],
        };
}
