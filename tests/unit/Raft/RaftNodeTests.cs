using System.Text;

namespace K3sLab.Raft.Tests;

[Trait("Category", "Unit")]
public sealed class RaftNodeTests
{
    private static RaftNode NewNode(ulong id, RaftConfig? config = null) =>
        new(id, [1, 2, 3], config ?? new RaftConfig(), new Random((int)id), default, []);

    private static Ready Drain(RaftNode n)
    {
        var r = n.TakeReady();
        n.Advance(r);
        return r;
    }

    [Fact]
    public void Tick_ElectionTimeoutWithPreVote_SendsPreVoteWithoutRaisingTerm()
    {
        var n = NewNode(1);
        for (var i = 0; i < 20; i++)
        {
            n.Tick();
        }
        var ready = n.TakeReady();
        n.Role.Should().Be(RaftRole.PreCandidate);
        n.Term.Should().Be(0);
        ready.Messages.Should().HaveCount(2).And.OnlyContain(m => m.Type == MessageType.PreVote && m.Term == 1);
    }

    [Fact]
    public void Step_VoteForSecondCandidateInSameTerm_Rejected()
    {
        var n = NewNode(1, new RaftConfig { PreVote = false, CheckQuorum = false });
        n.Step(new Message(MessageType.Vote, 2, 1, 1));
        var first = Drain(n);
        n.Step(new Message(MessageType.Vote, 3, 1, 1));
        var second = Drain(n);
        first.HardState.Should().Be(new HardState(1, 2, 0));
        first.Messages.Single().Reject.Should().BeFalse();
        second.Messages.Single().Reject.Should().BeTrue();
    }

    [Fact]
    public void Step_VoteFromCandidateWithStaleLog_Rejected()
    {
        var n = new RaftNode(1, [1, 2, 3], new RaftConfig { PreVote = false, CheckQuorum = false }, new Random(1),
            new HardState(2, 0, 0), [new Entry(1, 2, [])]);
        n.Step(new Message(MessageType.Vote, 2, 1, 3) { Index = 5, LogTerm = 1 });
        Drain(n).Messages.Single().Reject.Should().BeTrue();
    }

    [Fact]
    public void Propose_OnFollower_Dropped()
    {
        NewNode(1).Propose(Encoding.UTF8.GetBytes("x")).Should().BeNull();
    }

    [Fact]
    public void Step_AppendConflictingUncommittedSuffix_Truncates()
    {
        var n = new RaftNode(1, [1, 2, 3], new RaftConfig(), new Random(1), new HardState(1, 0, 1),
            [new Entry(1, 1, []), new Entry(2, 1, [1]), new Entry(3, 1, [2])]);
        n.Step(new Message(MessageType.Append, 2, 1, 2) { Index = 1, LogTerm = 1, Entries = [new Entry(2, 2, [9])], Commit = 2 });
        var ready = Drain(n);
        n.LastIndex.Should().Be(2);
        n.Committed.Should().Be(2);
        ready.Entries.Should().ContainSingle().Which.Term.Should().Be(2);
        ready.Messages.Single().Index.Should().Be(2);
    }

    [Fact]
    public void Step_StaleLeaderAppend_AnsweredWithNewerTerm()
    {
        var n = new RaftNode(1, [1, 2, 3], new RaftConfig(), new Random(1), new HardState(5, 0, 0), []);
        n.Step(new Message(MessageType.Append, 2, 1, 3));
        var reply = Drain(n).Messages.Single();
        reply.Term.Should().Be(5);
        reply.Type.Should().Be(MessageType.AppendResponse);
    }

    [Fact]
    public void Step_LowerCommitFromLeader_CommitNeverGoesBack()
    {
        var n = new RaftNode(1, [1, 2, 3], new RaftConfig(), new Random(1), new HardState(1, 0, 3),
            [new Entry(1, 1, []), new Entry(2, 1, [1]), new Entry(3, 1, [2])]);
        n.Step(new Message(MessageType.Heartbeat, 2, 1, 1) { Commit = 1 });
        n.Step(new Message(MessageType.Append, 2, 1, 1) { Index = 3, LogTerm = 1, Commit = 2 });
        n.Step(new Message(MessageType.Append, 2, 1, 1) { Index = 1, LogTerm = 1, Entries = [new Entry(2, 1, [1])], Commit = 1 });
        var ready = Drain(n);

        n.Committed.Should().Be(3);
        ready.HardState.Should().BeNull("nothing durable changed");
        ready.Messages.Where(m => m.Type == MessageType.AppendResponse).Select(m => m.Index).Should().Equal(3UL, 3UL);
    }

    [Fact]
    public void TakeReady_LeaderChange_ReportsSoftStateOnce()
    {
        var n = NewNode(1);
        n.Step(new Message(MessageType.Heartbeat, 2, 1, 1));
        var first = Drain(n);
        n.Step(new Message(MessageType.Heartbeat, 2, 1, 1));
        var second = Drain(n);

        first.SoftState.Should().Be(new SoftState(2, RaftRole.Follower));
        second.SoftState.Should().BeNull();
    }

    [Fact]
    public void GetStatus_Leader_ReportsProgressForEveryMember()
    {
        var n = NewNode(1, new RaftConfig { PreVote = false, CheckQuorum = false });
        for (var i = 0; i < 30 && n.Role != RaftRole.Candidate; i++)
        {
            n.Tick();
        }
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));
        Drain(n);

        var status = n.GetStatus();

        status.Role.Should().Be(RaftRole.Leader);
        status.Progress.Keys.Should().BeEquivalentTo([1UL, 2UL, 3UL]);
        status.Progress[2].State.Should().Be(ProgressState.Probe);
        status.ConfState.Voters.Should().Equal(1UL, 2UL, 3UL);
    }

    [Fact]
    public void Step_VoteFromLowerTerm_RejectedWithOurTerm()
    {
        var n = new RaftNode(1, [1, 2, 3], new RaftConfig(), new Random(1), new HardState(5, 0, 0), []);
        n.Step(new Message(MessageType.Vote, 2, 1, 3));
        Drain(n).Messages.Single().Should().Match<Message>(m => m.Type == MessageType.VoteResponse && m.Reject && m.Term == 5);
    }

    [Fact]
    public void Step_VoteFromCandidateOutsideOwnMembership_StillAnswered()
    {
        // This member has not applied the promotion of 4 yet; 4 counts it as a voter and needs its answer.
        var n = new RaftNode(1, new ConfState([1, 2], [4]), new RaftConfig { PreVote = false, CheckQuorum = false }, new Random(1), default, null, []);
        n.Step(new Message(MessageType.Vote, 4, 1, 1));
        Drain(n).Messages.Single().Should().Match<Message>(m => m.Type == MessageType.VoteResponse && !m.Reject);
    }
}
