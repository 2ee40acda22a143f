namespace K3sLab.Raft;

/// <summary>The kinds of message members exchange. Values are stable: new kinds are appended.</summary>
public enum MessageType
{
    /// <summary>A pre-candidate asks whether it would win an election for Term without disturbing anyone.</summary>
    PreVote,
    /// <summary>Answer to <see cref="PreVote"/>.</summary>
    PreVoteResponse,
    /// <summary>A candidate asks for a vote in Term.</summary>
    Vote,
    /// <summary>Answer to <see cref="Vote"/>.</summary>
    VoteResponse,
    /// <summary>Leader sends entries after (Index, LogTerm).</summary>
    Append,
    /// <summary>Answer to <see cref="Append"/> and <see cref="Snapshot"/>: Index is the follower's last matching index, or the rejected index.</summary>
    AppendResponse,
    /// <summary>Leader liveness plus a safe commit index; with a Context it confirms leadership for a read.</summary>
    Heartbeat,
    /// <summary>Answer to <see cref="Heartbeat"/>, echoing its Context.</summary>
    HeartbeatResponse,
    /// <summary>Leader installs <see cref="Message.Snapshot"/> on a follower that needs compacted entries.</summary>
    Snapshot,
    /// <summary>Leader tells its transfer target to campaign now (leadership transfer).</summary>
    TimeoutNow,
    /// <summary>A follower forwards a read-index request (Context) to its leader.</summary>
    ReadIndex,
    /// <summary>Leader answers <see cref="ReadIndex"/>: Index is the read index for Context.</summary>
    ReadIndexResponse,
}

/// <summary>One message between members. Which fields matter depends on <see cref="Type"/>.</summary>
public sealed record Message(MessageType Type, ulong From, ulong To, ulong Term)
{
    /// <summary>Term of the entry at <see cref="Index"/> (append: the previous entry; vote: the candidate's last entry).</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Log index the message is about.</summary>
    public ulong Index { get; init; }

    /// <summary>Entries to append after <see cref="Index"/>.</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>The sender's commit index (leader messages only).</summary>
    public ulong Commit { get; init; }

    /// <summary>True when a vote or append is refused.</summary>
    public bool Reject { get; init; }

    /// <summary>On a refused append: the follower's last index, so the leader can skip back quickly.</summary>
    public ulong RejectHint { get; init; }

    /// <summary>The snapshot a <see cref="MessageType.Snapshot"/> message installs.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Opaque read-request id carried by read-index heartbeats, their answers and forwarded reads.</summary>
    public byte[] Context { get; init; } = [];

    /// <summary>On a vote request: the campaign follows a leadership transfer, so it overrides the leader lease.</summary>
    public bool Transfer { get; init; }

    /// <summary>
    /// On an append without entries: the leader knows the follower holds its whole log and only passes on the commit
    /// index, so an accepted one is not answered (a refused one is). Saves a message and its handling for each
    /// acknowledged entry, since each commit is broadcast.
    /// </summary>
    public bool CommitOnly { get; init; }

    /// <inheritdoc />
    public override string ToString() => Type switch
    {
        MessageType.Append => $"{From}->{To} {Type} t{Term} prev=({Index},t{LogTerm}) n={Entries.Count} commit={Commit}{(CommitOnly ? " commit-only" : "")}",
        MessageType.AppendResponse => $"{From}->{To} {Type} t{Term} index={Index}{(Reject ? $" reject hint={RejectHint}" : "")}",
        MessageType.Heartbeat => $"{From}->{To} {Type} t{Term} commit={Commit}",
        MessageType.PreVote or MessageType.Vote => $"{From}->{To} {Type} t{Term} last=({Index},t{LogTerm}){(Transfer ? " transfer" : "")}",
        MessageType.PreVoteResponse or MessageType.VoteResponse => $"{From}->{To} {Type} t{Term}{(Reject ? " reject" : " grant")}",
        MessageType.Snapshot => $"{From}->{To} {Type} t{Term} snap={Snapshot}",
        MessageType.ReadIndexResponse => $"{From}->{To} {Type} t{Term} index={Index}",
        _ => $"{From}->{To} {Type} t{Term}",
    };
}
