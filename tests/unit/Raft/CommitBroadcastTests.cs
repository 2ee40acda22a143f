using System.Text;
using static K3sLab.Raft.Tests.NodeFixture;

namespace K3sLab.Raft.Tests;

/// <summary>How many messages one acknowledged entry costs: the commit broadcast and the answers it does not need.</summary>
public sealed class CommitBroadcastTests
{
    [Fact]
    public void Propose_FirstAckCommits_BroadcastIsCommitOnly()
    {
        var leader = ElectedLeaderWithFollowersCaughtUp();
        var index = leader.Propose(Encoding.UTF8.GetBytes("a"))!.Value.Index;
        Drain(leader).Messages.Should().HaveCount(2).And.OnlyContain(m => m.Type == MessageType.Append && m.Entries.Count == 1 && !m.CommitOnly);

        leader.Step(new Message(MessageType.AppendResponse, 2, 1, leader.Term) { Index = index });
        var broadcast = Drain(leader).Messages;

        leader.Committed.Should().Be(index);
        broadcast.Should().HaveCount(2).And.OnlyContain(m => m.Type == MessageType.Append && m.Entries.Count == 0 && m.Commit == index);
        broadcast.Single(m => m.To == 2).CommitOnly.Should().BeTrue("member 2 acknowledged the whole log");
        broadcast.Single(m => m.To == 3).CommitOnly.Should().BeTrue("member 3's acknowledgement of the entry is still due, so an answer to this would repeat it");
    }

    [Fact]
    public void Step_AckThatMovesNothing_NoEmptyAppendBack()
    {
        var (leader, index) = EntryCommittedByMember2();

        leader.Step(new Message(MessageType.AppendResponse, 3, 1, leader.Term) { Index = index });
        var ready = Drain(leader);

        ready.Messages.Should().BeEmpty("member 3 already has the commit index from the broadcast, and there is nothing more to send");
        leader.GetStatus().Progress[3].Match.Should().Be(index);
    }

    [Fact]
    public void Step_HeartbeatAnswerFromAMemberWhoseAckWasLost_GetsAnAnsweredAppend()
    {
        var (leader, index) = EntryCommittedByMember2();

        // Member 3's acknowledgement of the entry never arrives; its heartbeat answer does.
        leader.Step(new Message(MessageType.HeartbeatResponse, 3, 1, leader.Term));
        var append = Drain(leader).Messages.Should().ContainSingle(m => m.To == 3 && m.Type == MessageType.Append).Subject;

        append.CommitOnly.Should().BeFalse("its answer is what tells the leader that member 3 holds the entry");
    }

    [Fact]
    public void Step_AckFromAPausedMember_GetsTheCommitItMissed()
    {
        var leader = ElectedLeader();

        // Member 3 stays in probe with its probe unanswered, so the commit broadcast skips it.
        leader.Step(new Message(MessageType.AppendResponse, 2, 1, leader.Term) { Index = leader.LastIndex });
        var broadcast = Drain(leader).Messages;
        broadcast.Should().NotContain(m => m.To == 3);

        leader.Step(new Message(MessageType.AppendResponse, 3, 1, leader.Term) { Index = leader.LastIndex });
        var ready = Drain(leader);

        ready.Messages.Should().ContainSingle(m => m.To == 3 && m.Type == MessageType.Append).Which.Commit.Should().Be(leader.Committed);
    }

    [Fact]
    public void Step_CommitOnlyAppendAccepted_NotAnsweredButCommitted()
    {
        var follower = FollowerWithLog(3);

        follower.Step(new Message(MessageType.Append, 2, 1, 1) { Index = 3, LogTerm = 1, Commit = 3, CommitOnly = true });
        var ready = Drain(follower);

        follower.Committed.Should().Be(3);
        ready.Messages.Should().BeEmpty();
    }

    [Fact]
    public void Step_CommitOnlyAppendRefused_StillAnswered()
    {
        var follower = FollowerWithLog(3);

        follower.Step(new Message(MessageType.Append, 2, 1, 1) { Index = 5, LogTerm = 1, Commit = 5, CommitOnly = true });
        var reply = Drain(follower).Messages.Should().ContainSingle().Subject;

        reply.Type.Should().Be(MessageType.AppendResponse);
        reply.Reject.Should().BeTrue();
        reply.RejectHint.Should().Be(3);
    }

    [Fact]
    public void Step_CommitOnlyFlagOnAnAppendWithEntries_StillAnswered()
    {
        var follower = FollowerWithLog(3);

        follower.Step(new Message(MessageType.Append, 2, 1, 1) { Index = 3, LogTerm = 1, Entries = [new Entry(4, 1, [4])], Commit = 3, CommitOnly = true });

        Drain(follower).Messages.Should().ContainSingle().Which.Index.Should().Be(4);
    }

    /// <summary>A new entry that member 2 acknowledged, which committed it; member 3's acknowledgement is still due.</summary>
    private static (RaftNode Leader, ulong Index) EntryCommittedByMember2()
    {
        var leader = ElectedLeaderWithFollowersCaughtUp();
        var index = leader.Propose(Encoding.UTF8.GetBytes("a"))!.Value.Index;
        Drain(leader);
        leader.Step(new Message(MessageType.AppendResponse, 2, 1, leader.Term) { Index = index });
        Drain(leader);
        leader.Committed.Should().Be(index);
        return (leader, index);
    }

    private static RaftNode FollowerWithLog(ulong last) =>
        new(1, [1, 2, 3], new RaftConfig(), new Random(1), new HardState(1, 0, 1), [.. Enumerable.Range(1, (int)last).Select(i => new Entry((ulong)i, 1, [(byte)i]))]);

    /// <summary>Member 1 leads 1, 2 and 3; its first-term entry is sent but acknowledged by nobody yet.</summary>
    private static RaftNode ElectedLeader()
    {
        var n = New(1, Voters(1, 2, 3), NoPreVote);
        TickUntil(n, () => n.Role == RaftRole.Candidate);
        Drain(n);
        n.Step(new Message(MessageType.VoteResponse, 2, 1, n.Term));
        Drain(n);
        n.Role.Should().Be(RaftRole.Leader);
        return n;
    }

    /// <summary>Member 1 leads; both followers acknowledged its whole log and know the commit index.</summary>
    private static RaftNode ElectedLeaderWithFollowersCaughtUp()
    {
        var n = ElectedLeader();
        n.Step(new Message(MessageType.AppendResponse, 2, 1, n.Term) { Index = n.LastIndex });
        n.Step(new Message(MessageType.AppendResponse, 3, 1, n.Term) { Index = n.LastIndex });
        DrainAll(n);
        n.Committed.Should().Be(n.LastIndex);
        n.GetStatus().Progress[2].State.Should().Be(ProgressState.Replicate);
        n.GetStatus().Progress[3].State.Should().Be(ProgressState.Replicate);
        return n;
    }
}
