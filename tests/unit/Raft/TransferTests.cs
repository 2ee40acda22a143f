namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class TransferTests
{
    [Fact]
    public void Step_VoteDuringLease_IgnoredUnlessTransfer()
    {
        var n = NodeFixture.New(2, NodeFixture.Voters(1, 2, 3));
        n.Step(new Message(MessageType.Heartbeat, 1, 2, 1));
        NodeFixture.Drain(n);

        n.Step(new Message(MessageType.Vote, 3, 2, 2));
        var ignored = n.HasReady;
        n.Step(new Message(MessageType.Vote, 3, 2, 2) { Transfer = true });

        ignored.Should().BeFalse();
        NodeFixture.Drain(n).Messages.Single().Should().Match<Message>(m => m.Type == MessageType.VoteResponse && !m.Reject && m.Term == 2);
        n.Vote.Should().Be(3);
    }

    [Fact]
    public void Step_TimeoutNow_CampaignsAtOnceWithoutPreVote()
    {
        var n = NodeFixture.New(2, NodeFixture.Voters(1, 2, 3));
        n.Step(new Message(MessageType.Heartbeat, 1, 2, 1));
        NodeFixture.Drain(n);

        n.Step(new Message(MessageType.TimeoutNow, 1, 2, 1));

        n.Role.Should().Be(RaftRole.Candidate);
        NodeFixture.Drain(n).Messages.Should().HaveCount(2).And.OnlyContain(m => m.Type == MessageType.Vote && m.Transfer && m.Term == 2);
    }

    [Fact]
    public void TransferLeadership_TargetBehind_RefusesProposalsUntilAbandoned()
    {
        var n = NodeFixture.New(1, NodeFixture.Voters(1, 2, 3), NodeFixture.NoPreVote);
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Candidate);
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));
        NodeFixture.DrainAll(n);

        n.TransferLeadership(3).Should().BeTrue();
        var during = n.Propose([1]);
        var confDuring = n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4, []));
        for (var i = 0; i < 10; i++)
        {
            n.Tick();
        }

        during.Should().BeNull();
        confDuring.Refusal.Should().Contain("transferred");
        n.LeadTransferee.Should().Be(RaftNode.None);
        n.Propose([2]).Should().NotBeNull();
    }

    [Fact]
    public void TransferLeadership_TargetCaughtUp_SendsTimeoutNow()
    {
        var n = NodeFixture.New(1, NodeFixture.Voters(1, 2, 3), NodeFixture.NoPreVote);
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Candidate);
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));
        NodeFixture.DrainAll(n);
        n.Step(new Message(MessageType.AppendResponse, 3, 1, n.Term) { Index = n.LastIndex });
        NodeFixture.DrainAll(n);

        n.TransferLeadership(3).Should().BeTrue();

        NodeFixture.Drain(n).Messages.Should().ContainSingle(m => m.Type == MessageType.TimeoutNow && m.To == 3);
        n.TransferLeadership(4).Should().BeFalse("4 is not a voter");
    }
}
