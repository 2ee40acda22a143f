using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// Power loss on lossy disks (<c>cluster: {disk: lossy}</c>) in Docker: the SQLite server keeps every acknowledged
/// write through it, and with the planted ack-before-fsync bug (SQLite with synchronous=OFF) the same run loses
/// acknowledged writes, which no-lost-writes reports. A plain SIGKILL cannot show that bug: the host's page cache
/// would keep the unsynced writes.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class LossyDiskScenarioTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-lossy-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task SqlitePowerLoss_OnALossyDisk_KeepsEveryAcknowledgedWrite()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("sqlite-power-loss-lossy-disk");

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, new ChaosSessionOptions(1, 3, _reports, null), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        run.Record.Timeline.Should().Contain(e => e.Kind == "fault" && e.Text.Contains("every write not yet fsynced is lost", StringComparison.Ordinal), "the report says which kind of power loss was applied");
    }

    [Fact]
    public async Task SqlitePowerLoss_OnALossyDisk_WithAckBeforeFsyncPlanted_LosesAcknowledgedWrites()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        var scenario = ScenarioLibrary.Find("sqlite-power-loss-lossy-disk");

        // The lost writes include the workload's namespace and the agent's Node, so the cluster cannot be whole again
        // and the run would wait out the whole recovery time (180 s); what is tested here is the lost-write evidence.
        var options = new ChaosSessionOptions(1, 3, _reports, null, PlantedBug: "ack-before-fsync") { RecoveryTimeout = TimeSpan.FromSeconds(20) };
        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(scenario, options, ct)).Single();

        run.Passed.Should().BeFalse($"the planted bug must be caught: {run.Verdict} (reports in {_reports})");
        var lost = run.Checks.Single(c => c.Name == "no-lost-writes");
        lost.Passed.Should().BeFalse(run.Verdict);
        lost.Details.Should().NotBeEmpty("the evidence names the acknowledged writes that are gone");

        // A failed run keeps every node's output beside its reports.
        var logs = Path.Combine(_reports, scenario.Name, "run-1", "logs");
        foreach (var node in new[] { "server-0", "agent-0" })
        {
            var log = Directory.GetFiles(logs, $"*-{node}.log").Should().ContainSingle($"{node}'s output is kept in {logs}").Subject;
            new FileInfo(log).Length.Should().BePositive($"{log} holds {node}'s output");
        }
    }
}
