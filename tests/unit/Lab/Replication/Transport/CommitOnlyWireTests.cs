using Google.Protobuf;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Replication.Wire;
using K3sLab.Raft;

namespace K3sLab.Lab.Tests.Replication.Transport;

/// <summary>The commit-only mark of an append on the peer wire and through the sender's merging of queued appends.</summary>
[Trait("Category", "Unit")]
public sealed class CommitOnlyWireTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FromWire_AfterToWireAndBytes_KeepsCommitOnly(bool commitOnly)
    {
        var sent = new Message(MessageType.Append, 1, 2, 3) { Index = 7, LogTerm = 3, Commit = 7, CommitOnly = commitOnly };

        var bytes = MessageMapping.ToWire(sent).ToByteArray();
        var received = MessageMapping.FromWire(RaftMessage.Parser.ParseFrom(bytes));

        received.CommitOnly.Should().Be(commitOnly);
        received.Should().BeEquivalentTo(sent);
    }

    [Fact]
    public void TryMerge_CommitOnlyThenEntries_MergedAppendIsAnswered()
    {
        var commitOnly = new Message(MessageType.Append, 1, 2, 3) { Index = 7, LogTerm = 3, Commit = 7, CommitOnly = true };
        var entries = new Message(MessageType.Append, 1, 2, 3) { Index = 7, LogTerm = 3, Entries = [new Entry(8, 3, [8])], Commit = 7 };

        MessageCoalescing.TryMerge(commitOnly, entries, out var merged).Should().BeTrue();

        merged.Entries.Should().ContainSingle();
        merged.CommitOnly.Should().BeFalse("the follower must acknowledge the entry");
    }

    [Fact]
    public void TryMerge_TwoCommitOnly_StaysCommitOnlyWithTheLaterCommit()
    {
        var first = new Message(MessageType.Append, 1, 2, 3) { Index = 7, LogTerm = 3, Commit = 6, CommitOnly = true };
        var second = first with { Commit = 7 };

        MessageCoalescing.TryMerge(first, second, out var merged).Should().BeTrue();

        merged.CommitOnly.Should().BeTrue();
        merged.Commit.Should().Be(7);
    }
}
