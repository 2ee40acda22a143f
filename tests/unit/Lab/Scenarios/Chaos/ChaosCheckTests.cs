using K3sLab.Scenarios.Chaos.Checks;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

[Trait("Category", "Unit")]
public sealed class ChaosCheckTests
{
    private static OperationRecord Cas(int client, string key, long call, long ret, long expected, string value, long revision, OperationOutcome outcome = OperationOutcome.Ok) =>
        new(client, "cas", key, call, ret, outcome) { Expected = expected, Value = value, Revision = revision };

    private static OperationRecord Read(int client, string key, long call, long ret, string? value, long revision) =>
        new(client, "read", key, call, ret, OperationOutcome.Ok) { Value = value, Revision = revision };

    [Fact]
    public void Linearizable_SequentialHistory_Passes()
    {
        var ops = new[]
        {
            Cas(0, "reg-a-0", 0, 10, 0, "x", 5),
            Read(1, "reg-a-0", 20, 30, "x", 5),
            Cas(1, "reg-a-0", 40, 50, 5, "y", 9),
            Read(0, "reg-a-0", 60, 70, "y", 9),
        };

        var result = LinearizableCheck.Run(ops);

        result.Passed.Should().BeTrue(result.Summary);
        result.Summary.Should().Be("4 operations on 1 keys (0 with unknown outcome): linearizable");
    }

    [Fact]
    public void Linearizable_StaleReadAfterAcknowledgedWrite_FailsWithTheEvidence()
    {
        var ops = new[]
        {
            Cas(0, "reg-a-0", 0, 10, 0, "x", 5),
            Cas(1, "reg-a-0", 20, 30, 5, "y", 9),
            Read(2, "reg-a-0", 40, 50, "x", 5),
        };

        var result = LinearizableCheck.Run(ops);

        result.Passed.Should().BeFalse();
        result.Summary.Should().Contain("NOT linearizable on key reg-a-0");
        result.Details.Should().Contain(d => d.Contains("get reg-a-0 -> x@r5", StringComparison.Ordinal));
        result.Details[0].Should().Contain("the history of reg-a-0 up to 50 µs (3 of 3 operations) is already not linearizable");
    }

    [Fact]
    public void Linearizable_UnknownWriteSeenLater_IsAllowed()
    {
        var ops = new[]
        {
            Cas(0, "reg-a-0", 0, 10, 0, "x", 5),
            Cas(1, "reg-a-0", 20, 25, 5, "y", 0, OperationOutcome.Unknown),
            Read(2, "reg-a-0", 40, 50, "y", 9),
        };

        LinearizableCheck.Run(ops).Passed.Should().BeTrue();
    }

    [Fact]
    public void NoLostWrites_AcknowledgedCreateMissing_IsNamed()
    {
        var ops = new[]
        {
            new OperationRecord(0, "create", "led-a-0-1", 0, 2_000_000, OperationOutcome.Ok) { Revision = 7 },
            new OperationRecord(0, "create", "led-a-0-2", 3, 4, OperationOutcome.Ok),
            new OperationRecord(1, "create", "led-a-1-3", 5, 6, OperationOutcome.Unknown),
        };

        var result = NoLostWritesCheck.Run(ops, new HashSet<string>(["led-a-0-2", "led-a-9-9"]));

        result.Passed.Should().BeFalse();
        result.Summary.Should().Be("2 acknowledged creates, 1 unknown (0 of them took effect); 1 lost, 1 never attempted");
        result.Details.Should().Equal("lost: led-a-0-1, acknowledged at 2.000 s with resourceVersion 7 via lb", "never attempted but present: led-a-9-9");
        NoLostWritesCheck.Run(ops, null).Summary.Should().Contain("could not be read");
    }

    [Fact]
    public void OneLeaderPerTerm_TwoLeadersInOneTerm_Fails()
    {
        var observations = new[]
        {
            new MemberObservation(1, "server-0", 3, "server-0", 10),
            new MemberObservation(1, "server-1", 3, "server-0", 10),
            new MemberObservation(2, "server-2", 3, "server-2", 8),
            new MemberObservation(3, "server-2", 4, "server-1", 12),
        };

        var result = OneLeaderPerTermCheck.Run(observations);

        result.Passed.Should().BeFalse();
        result.Details.Should().Contain("term 3: server-2 named server-2 (first at 2.0 s)");
        OneLeaderPerTermCheck.Run(observations[..2]).Passed.Should().BeTrue();
    }

    [Fact]
    public void WriteGap_ReportsTheWidestGapAndWhereItStarted()
    {
        var ops = new[]
        {
            Cas(0, "reg-a-0", 0, 1_000_000, 0, "x", 5),
            Cas(0, "reg-a-0", 1_000_000, 2_000_000, 5, "y", 6),
            Cas(0, "reg-a-0", 2_000_000, 9_000_000, 6, "z", 7),
            Read(0, "reg-a-0", 3_000_000, 3_100_000, "y", 6),
        };

        WriteGapCheck.WidestGap(ops).Should().Be((TimeSpan.FromSeconds(7), 2.0));
        WriteGapCheck.Run(ops, TimeSpan.FromSeconds(5)).Passed.Should().BeFalse();
        WriteGapCheck.Run(ops, TimeSpan.FromSeconds(8)).Summary.Should().Be("widest gap between acknowledged writes 7.00 s (from 2.0 s), bound 8 s");
    }

    [Fact]
    public void NodesStayedReady_NotReadyAfterReady_Fails_ButStartingNotReadyDoesNot()
    {
        var readings = new[] { (1.0, "agent-0", "Unknown"), (2.0, "agent-0", "True"), (4.0, "agent-0", "False"), (5.0, "agent-0", "True") };

        var result = NodesStayedReadyCheck.Run(readings, ["agent-0"]);

        result.Passed.Should().BeFalse();
        result.Details.Should().Equal("agent-0: Ready=False at 4.0 s");
        NodesStayedReadyCheck.Run(readings[..2], ["agent-0"]).Passed.Should().BeTrue();
        NodesStayedReadyCheck.Run(readings, ["agent-1"]).Details.Should().Equal("agent-1: never observed");
    }

    [Fact]
    public void WatchGuarantees_GapAfterAResume_IsReportedAsBroken()
    {
        var history = new[] { new K3sLab.Scenarios.Checkers.WatchEvent(5, "a", "1"), new K3sLab.Scenarios.Checkers.WatchEvent(6, "b", "1"), new K3sLab.Scenarios.Checkers.WatchEvent(7, "a", "2") };
        var good = new List<K3sLab.Scenarios.Checkers.WatchStreamItem>
        {
            K3sLab.Scenarios.Checkers.WatchStreamItem.Start(5), K3sLab.Scenarios.Checkers.WatchStreamItem.Response(history[0]),
            K3sLab.Scenarios.Checkers.WatchStreamItem.Start(6), K3sLab.Scenarios.Checkers.WatchStreamItem.Response(history[1]), K3sLab.Scenarios.Checkers.WatchStreamItem.Response(history[2]),
        };
        var skipped = new List<K3sLab.Scenarios.Checkers.WatchStreamItem>
        {
            K3sLab.Scenarios.Checkers.WatchStreamItem.Start(5), K3sLab.Scenarios.Checkers.WatchStreamItem.Response(history[0]),
            K3sLab.Scenarios.Checkers.WatchStreamItem.Start(6), K3sLab.Scenarios.Checkers.WatchStreamItem.Response(history[2]),
        };

        var pass = WatchGuaranteesCheck.Run(history, new Dictionary<string, IReadOnlyList<K3sLab.Scenarios.Checkers.WatchStreamItem>> { ["w0@lb"] = good });
        var fail = WatchGuaranteesCheck.Run(history, new Dictionary<string, IReadOnlyList<K3sLab.Scenarios.Checkers.WatchStreamItem>> { ["w0@lb"] = skipped });

        pass.Passed.Should().BeTrue(pass.Summary);
        pass.Summary.Should().Be("3 events in the history; w0@lb: 3 events, 1 resumes; all six guarantees held");
        fail.Passed.Should().BeFalse();
        fail.Details.Should().ContainSingle().Which.Should().StartWith("watch w0@lb: Resumable broken");
        WatchGuaranteesCheck.Run(null, new Dictionary<string, IReadOnlyList<K3sLab.Scenarios.Checkers.WatchStreamItem>> { ["w"] = good }).Summary.Should().Contain("could not be replayed");
    }

    [Fact]
    public void Converged_DifferentHashOrMissingMember_Fails()
    {
        ConvergedCheck.Run([new("server-0", 10, 0xabc), new("server-1", 10, 0xabc)]).Passed.Should().BeTrue();
        ConvergedCheck.Run([new("server-0", 10, 0xabc), new("server-1", 10, 0xabd)]).Passed.Should().BeFalse();
        ConvergedCheck.Run([new("server-0", 10, 0xabc), new("server-1", null, null)]).Summary.Should().Contain("server-1 r? hash ?");
        ConvergedCheck.Run([]).Passed.Should().BeFalse();
        var undecided = ConvergedCheck.Run([new("server-0", 10, 0xabc, 5), new("server-1", 10, 0xabd, 8)]);
        undecided.Passed.Should().BeFalse("hashes after different compactions prove nothing either way");
        undecided.Summary.Should().StartWith("undecided").And.Contain("server-1 r10 hash 00000abd (compacted at 8)");
        ConvergedCheck.Run([new("server-0", 10, 0xabc, 8), new("server-1", 10, 0xabc, 8)]).Passed.Should().BeTrue();
    }

    [Fact]
    public void NoRestarts_ContainerStartedAgain_IsNamed_AndUninspectedNodesFail()
    {
        var start = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var before = new Dictionary<string, K3sLab.Lab.Providers.NodeRuntime> { ["server-0"] = new(start, 0), ["server-1"] = new(start, 0) };

        var same = NoRestartsCheck.Run(before, new Dictionary<string, K3sLab.Lab.Providers.NodeRuntime?> { ["server-0"] = new(start, 0), ["server-1"] = new(start, 0) }, ["server-0", "server-1"]);
        var restarted = NoRestartsCheck.Run(before, new Dictionary<string, K3sLab.Lab.Providers.NodeRuntime?> { ["server-0"] = new(start, 0), ["server-1"] = new(start.AddSeconds(40), 1) }, ["server-0", "server-1"]);
        var gone = NoRestartsCheck.Run(before, new Dictionary<string, K3sLab.Lab.Providers.NodeRuntime?> { ["server-0"] = null }, ["server-0"]);

        same.Passed.Should().BeTrue(same.Summary);
        restarted.Passed.Should().BeFalse();
        restarted.Details.Should().ContainSingle().Which.Should().StartWith("server-1: started at 12:00:00.000 (restart count 0), then at 12:00:40.000 (restart count 1)");
        gone.Passed.Should().BeFalse();
    }
}
