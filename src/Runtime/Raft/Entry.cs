namespace K3sLab.Raft;

/// <summary>
/// One log entry. An empty normal <see cref="Data"/> is the no-op a new leader appends to commit its term; a
/// <see cref="EntryType.ConfChange"/> entry carries an encoded <see cref="ConfChange"/>.
/// </summary>
public sealed record Entry(ulong Index, ulong Term, byte[] Data)
{
    /// <summary>What <see cref="Data"/> holds; <see cref="EntryType.Normal"/> unless set.</summary>
    public EntryType Type { get; init; } = EntryType.Normal;

    /// <inheritdoc />
    public override string ToString() => Type == EntryType.Normal ? $"{Index}@t{Term}({Data.Length}b)" : $"{Index}@t{Term}({Type})";
}

/// <summary>The state a member must persist before it sends any message that depends on it.</summary>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit);

/// <summary>Member roles. PreCandidate campaigns without raising its term (PreVote).</summary>
public enum RaftRole
{
    /// <summary>Follows a leader or waits for one.</summary>
    Follower,
    /// <summary>Asking whether an election would succeed, without raising the term.</summary>
    PreCandidate,
    /// <summary>Campaigning in a raised term.</summary>
    Candidate,
    /// <summary>Replicates the log.</summary>
    Leader,
}
