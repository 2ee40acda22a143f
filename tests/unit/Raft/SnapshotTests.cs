namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class SnapshotTests
{
    private static RaftNode LeaderWithEntries(int count, RaftConfig? config = null)
    {
        var n = new RaftNode(1, NodeFixture.Voters(1), config ?? new RaftConfig(), new Random(1), default, null, []);
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Leader);
        for (var i = 0; i < count; i++)
        {
            n.Propose([(byte)i]);
        }
        NodeFixture.DrainAll(n);
        return n;
    }

    [Fact]
    public void Compact_AtAppliedIndex_DropsCoveredEntries()
    {
        var n = LeaderWithEntries(5);
        var snapshot = n.Compact(4, [7]);

        snapshot.Should().Match<Snapshot>(s => s.Index == 4 && s.Term == 1 && s.ConfState.Equals(NodeFixture.Voters(1)));
        n.GetStatus().FirstIndex.Should().Be(5);
        n.LastIndex.Should().Be(6);
    }

    [Fact]
    public void Compact_WithKeptTail_KeepsEntriesBeforeSnapshot()
    {
        var n = LeaderWithEntries(5, new RaftConfig { CompactionKeepEntries = 2 });
        n.Compact(6, []);
        n.GetStatus().FirstIndex.Should().Be(5);
    }

    [Fact]
    public void Compact_BeyondApplied_Throws()
    {
        var n = LeaderWithEntries(2);
        var act = () => n.Compact(n.Applied + 1, []);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Compact_ConfChangeAppliedAfterIndex_Throws()
    {
        var n = LeaderWithEntries(2);
        n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 2, [])).Accepted.Should().BeTrue();
        NodeFixture.DrainAll(n);
        var act = () => n.Compact(2, []);
        act.Should().Throw<InvalidOperationException>().WithMessage("*configuration change*");
    }

    [Fact]
    public void Ctor_RestartFromSnapshot_RestoresIndexesAndMembership()
    {
        var snapshot = new Snapshot(5, 2, NodeFixture.Voters(1, 2, 3), [1]);
        var n = new RaftNode(1, ConfState.Empty, new RaftConfig(), new Random(1), new HardState(2, 0, 7), snapshot,
            [new Entry(4, 2, []), new Entry(6, 2, [6]), new Entry(7, 2, [7])]);

        var ready = n.TakeReady();

        n.LastIndex.Should().Be(7);
        n.Committed.Should().Be(7);
        n.Applied.Should().Be(5);
        n.ConfState.Should().Be(NodeFixture.Voters(1, 2, 3));
        ready.Snapshot.Should().BeNull("the host restored it already");
        ready.CommittedEntries.Select(e => e.Index).Should().Equal(6UL, 7UL);
    }

    [Fact]
    public void Step_SnapshotBeyondLog_ReadyCarriesSnapshotAndAcknowledgesItsIndex()
    {
        var n = new RaftNode(2, NodeFixture.Voters(1, 2, 3), new RaftConfig(), new Random(2), new HardState(1, 0, 1), null, [new Entry(1, 1, [])]);
        var snapshot = new Snapshot(10, 1, new ConfState([1, 2, 3], [4]), [9]);
        n.Step(new Message(MessageType.Snapshot, 1, 2, 1) { Snapshot = snapshot });

        var ready = NodeFixture.Drain(n);

        ready.Snapshot.Should().BeSameAs(snapshot);
        ready.CommittedEntries.Should().BeEmpty();
        ready.Messages.Single().Should().Match<Message>(m => m.Type == MessageType.AppendResponse && m.Index == 10 && !m.Reject);
        n.Applied.Should().Be(10);
        n.Committed.Should().Be(10);
        n.ConfState.IsLearner(4).Should().BeTrue();
        n.HasReady.Should().BeFalse();
    }

    [Fact]
    public void Step_AppendResponseNeedingCompactedEntries_SendsSnapshotAndPauses()
    {
        var n = NodeFixture.SoleLeader(NodeFixture.Voters(1));
        for (var i = 0; i < 4; i++)
        {
            n.Propose([(byte)i]);
        }
        NodeFixture.DrainAll(n);
        n.Compact(n.Applied, [1]);
        n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 2, [])).Accepted.Should().BeTrue();
        NodeFixture.DrainAll(n);

        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex, Reject = true, RejectHint = 0 });
        var sent = NodeFixture.Drain(n).Messages;
        var paused = n.GetStatus().Progress[2].State;
        n.ReportSnapshot(2, ok: false);

        sent.Should().ContainSingle(m => m.Type == MessageType.Snapshot && m.Snapshot!.Index == 5);
        paused.Should().Be(ProgressState.Snapshot);
        n.GetStatus().Progress[2].State.Should().Be(ProgressState.Probe);
    }

    [Fact]
    public void Compact_JoiningMember_Throws()
    {
        var n = NodeFixture.New(4, ConfState.Empty);
        var act = () => n.Compact(0, []);
        act.Should().Throw<InvalidOperationException>().WithMessage("*joining*");
    }

    [Fact]
    public void ReportUnreachable_ReplicatingFollower_BackToProbe()
    {
        var n = NodeFixture.SoleLeader(new ConfState([1], [2]));
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        var before = n.GetStatus().Progress[2].State;

        n.ReportUnreachable(2);

        before.Should().Be(ProgressState.Replicate);
        n.GetStatus().Progress[2].State.Should().Be(ProgressState.Probe);
    }
}
