namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class ReadIndexTests
{
    [Fact]
    public void ReadIndex_NewLeaderBeforeCommitInTerm_AnswersOnlyAfterCommit()
    {
        var n = NodeFixture.New(1, NodeFixture.Voters(1));
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Leader);
        n.ReadIndex([1]);

        var first = NodeFixture.Drain(n);
        var second = NodeFixture.Drain(n);

        first.ReadStates.Should().BeEmpty();
        second.ReadStates.Should().ContainSingle().Which.Index.Should().Be(1);
    }

    [Fact]
    public void ReadIndex_FollowerWithoutLeader_Dropped()
    {
        var n = NodeFixture.New(2, NodeFixture.Voters(1, 2, 3));
        n.ReadIndex([1]);
        n.HasReady.Should().BeFalse();
    }

    [Fact]
    public void ReadIndex_Follower_ForwardsToLeaderAndReportsAnswer()
    {
        var n = NodeFixture.New(2, NodeFixture.Voters(1, 2, 3));
        n.Step(new Message(MessageType.Heartbeat, 1, 2, 1));
        NodeFixture.Drain(n);
        n.ReadIndex([5]);
        var forwarded = NodeFixture.Drain(n).Messages.Single();
        n.Step(new Message(MessageType.ReadIndexResponse, 1, 2, 1) { Index = 7, Context = [5] });

        forwarded.Should().Match<Message>(m => m.Type == MessageType.ReadIndex && m.To == 1 && m.Context.SequenceEqual(new byte[] { 5 }));
        NodeFixture.Drain(n).ReadStates.Should().ContainSingle().Which.Index.Should().Be(7);
    }

    [Fact]
    public void ReadIndex_LearnerAck_NotCountedTowardQuorum()
    {
        var n = NodeFixture.New(1, new ConfState([1, 2, 3], [4]), NodeFixture.NoPreVote);
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Candidate);
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));
        NodeFixture.DrainAll(n);
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        NodeFixture.DrainAll(n);
        n.ReadIndex([3]);
        NodeFixture.Drain(n).Messages.Where(m => m.Type == MessageType.Heartbeat).Should().HaveCount(3);

        n.Step(new Message(MessageType.HeartbeatResponse, 4, 1, n.Term) { Context = [3] });
        var afterLearner = NodeFixture.Drain(n).ReadStates;
        n.Step(new Message(MessageType.HeartbeatResponse, 3, 1, n.Term) { Context = [3] });

        afterLearner.Should().BeEmpty();
        NodeFixture.Drain(n).ReadStates.Should().ContainSingle().Which.Index.Should().Be(n.Committed);
    }
}
