namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class MembershipTests
{
    [Fact]
    public void Step_VoteGrantFromLearner_NotCounted()
    {
        var n = NodeFixture.New(1, new ConfState([1, 2, 3], [4]), NodeFixture.NoPreVote);
        NodeFixture.TickUntil(n, () => n.Role == RaftRole.Candidate);
        var votes = NodeFixture.Drain(n).Messages;

        n.Step(new Message(MessageType.VoteResponse, 4, 1, n.Term));
        var afterLearner = n.Role;
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));

        votes.Select(m => m.To).Should().BeEquivalentTo([2UL, 3UL], "vote requests go to voters only");
        afterLearner.Should().Be(RaftRole.Candidate);
        n.Role.Should().Be(RaftRole.Leader);
    }

    [Fact]
    public void Tick_Learner_NeverCampaigns()
    {
        var n = NodeFixture.New(4, new ConfState([1, 2, 3], [4]));
        for (var i = 0; i < 200; i++)
        {
            n.Tick();
        }
        n.Role.Should().Be(RaftRole.Follower);
        n.HasReady.Should().BeFalse();
    }

    [Fact]
    public void Tick_JoiningMember_NeverCampaigns()
    {
        var n = NodeFixture.New(4, ConfState.Empty);
        for (var i = 0; i < 200; i++)
        {
            n.Tick();
        }
        n.Role.Should().Be(RaftRole.Follower);
        n.HasReady.Should().BeFalse();
    }

    [Fact]
    public void ProposeConfChange_PromoteLaggingLearner_Refused()
    {
        var n = NodeFixture.SoleLeader(new ConfState([1], [2]));
        for (var i = 0; i < 12; i++)
        {
            n.Propose([(byte)i]);
        }
        NodeFixture.DrainAll(n);

        var refused = n.ProposeConfChange(new ConfChange(ConfChangeType.PromoteLearner, 2, []));
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        var accepted = n.ProposeConfChange(new ConfChange(ConfChangeType.PromoteLearner, 2, []));

        refused.Accepted.Should().BeFalse();
        refused.Refusal.Should().Contain("in sync with leader");
        accepted.Accepted.Should().BeTrue();
    }

    [Fact]
    public void ProposeConfChange_PreviousChangeNotApplied_Refused()
    {
        var n = NodeFixture.SoleLeader(NodeFixture.Voters(1));
        var first = n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 2, []));
        var second = n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 3, []));
        NodeFixture.DrainAll(n);
        var third = n.ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 3, []));

        first.Accepted.Should().BeTrue();
        second.Refusal.Should().Contain("not applied yet");
        third.Accepted.Should().BeTrue();
        n.ConfState.Should().Be(new ConfState([1], [2]));
    }

    [Fact]
    public void ProposeConfChange_OnFollower_Refused()
    {
        NodeFixture.New(2, NodeFixture.Voters(1, 2, 3)).ProposeConfChange(new ConfChange(ConfChangeType.AddLearner, 4, []))
            .Refusal.Should().Be("not the leader");
    }

    [Fact]
    public void ApplyConfChange_RemovedLeader_StepsDownAndNeverCampaigns()
    {
        var n = NodeFixture.SoleLeader(NodeFixture.Voters(1));
        n.ProposeConfChange(new ConfChange(ConfChangeType.AddVoter, 2, [])).Accepted.Should().BeTrue();
        NodeFixture.DrainAll(n);
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        NodeFixture.DrainAll(n);

        n.ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1, [])).Accepted.Should().BeTrue();
        NodeFixture.DrainAll(n);
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        NodeFixture.DrainAll(n);
        for (var i = 0; i < 100; i++)
        {
            n.Tick();
        }

        n.ConfState.Should().Be(new ConfState([2], []));
        n.Role.Should().Be(RaftRole.Follower);
        n.Term.Should().Be(1);
    }

    [Fact]
    public void Propose_SingleVoter_CommitsAlone()
    {
        var n = NodeFixture.SoleLeader(NodeFixture.Voters(1));
        var at = n.Propose([42])!.Value;
        var ready = NodeFixture.Drain(n);
        var applied = NodeFixture.Drain(n);

        ready.Entries.Should().ContainSingle();
        n.Committed.Should().Be(at.Index);
        applied.CommittedEntries.Single().Data.Should().Equal(42);
    }

    [Fact]
    public void Step_AppendFromLeaderToJoiningMember_AsksForSnapshotThenAccepts()
    {
        var n = NodeFixture.New(4, ConfState.Empty);
        n.Step(new Message(MessageType.Append, 1, 4, 1) { Index = 3, LogTerm = 1, Commit = 3 });
        var refusal = NodeFixture.Drain(n).Messages.Single();
        n.Step(new Message(MessageType.Snapshot, 1, 4, 1) { Snapshot = new Snapshot(0, 0, NodeFixture.Voters(1, 2, 3), []) });
        var restored = NodeFixture.Drain(n);
        n.Step(new Message(MessageType.Append, 1, 4, 1) { Index = 0, LogTerm = 0, Entries = [new Entry(1, 1, [])], Commit = 1 });
        var accepted = NodeFixture.Drain(n).Messages.Single();

        refusal.Should().Match<Message>(m => m.Reject && m.Index == 0);
        restored.Snapshot!.ConfState.Voters.Should().Equal(1UL, 2UL, 3UL);
        accepted.Should().Match<Message>(m => !m.Reject && m.Index == 1);
        n.ConfState.IsVoter(4).Should().BeFalse();
    }

    [Fact]
    public void ProposeConfChange_PromoteLearnerNeverHeardFrom_RefusedEvenOnShortLog()
    {
        var n = NodeFixture.SoleLeader(new ConfState([1], [2]));
        n.ProposeConfChange(new ConfChange(ConfChangeType.PromoteLearner, 2, [])).Refusal.Should().Contain("in sync with leader");
    }
}
