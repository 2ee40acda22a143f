namespace K3sLab.Raft;

/// <summary>The kinds of message members exchange.</summary>
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
    /// <summary>Answer to <see cref="Append"/>: Index is the follower's last matching index, or the rejected index.</summary>
    AppendResponse,
    /// <summary>Leader liveness plus a safe commit index.</summary>
    Heartbeat,
    /// <summary>Answer to <see cref="Heartbeat"/>.</summary>
    HeartbeatResponse,
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

    /// <inheritdoc />
    public override string ToString() => Type switch
    {
        MessageType.Append => $"{From}->{To} {Type} t{Term} prev=({Index},t{LogTerm}) n={Entries.Count} commit={Commit}",
        MessageType.AppendResponse => $"{From}->{To} {Type} t{Term} index={Index}{(Reject ? $" reject hint={RejectHint}" : "")}",
        MessageType.Heartbeat => $"{From}->{To} {Type} t{Term} commit={Commit}",
        MessageType.PreVote or MessageType.Vote => $"{From}->{To} {Type} t{Term} last=({Index},t{LogTerm})",
        MessageType.PreVoteResponse or MessageType.VoteResponse => $"{From}->{To} {Type} t{Term}{(Reject ? " reject" : " grant")}",
        _ => $"{From}->{To} {Type} t{Term}",
    };
}
