namespace K3sLab.Raft;

/// <summary>
/// The membership: voters elect and form every quorum; learners only receive the log. Immutable: the lists are copied,
/// sorted and deduplicated, so equality does not depend on the order they were given in. An empty value means "not told yet": a member joining an existing cluster starts so and learns its
/// membership from the leader's snapshot and log.
/// </summary>
public sealed record ConfState(IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners)
{
    /// <summary>The members that vote, ascending.</summary>
    public IReadOnlyList<ulong> Voters { get; } = [.. Voters.Distinct().Order()];

    /// <summary>The members that only receive the log, ascending.</summary>
    public IReadOnlyList<ulong> Learners { get; } = [.. Learners.Distinct().Order()];

    /// <summary>No members: the starting point of a joining member.</summary>
    public static ConfState Empty { get; } = new([], []);

    /// <summary>True when neither voters nor learners are known.</summary>
    public bool IsEmpty => Voters.Count == 0 && Learners.Count == 0;

    /// <summary>Voters then learners.</summary>
    public IEnumerable<ulong> Members => Voters.Concat(Learners);

    /// <summary>True when <paramref name="id"/> votes.</summary>
    public bool IsVoter(ulong id) => Voters.Contains(id);

    /// <summary>True when <paramref name="id"/> is a learner.</summary>
    public bool IsLearner(ulong id) => Learners.Contains(id);

    /// <summary>True when <paramref name="id"/> is a voter or a learner.</summary>
    public bool Contains(ulong id) => IsVoter(id) || IsLearner(id);

    /// <summary>The membership after <paramref name="change"/>; a change that does not fit (promote a non-learner) leaves it as is.</summary>
    internal ConfState Apply(ConfChange change)
    {
        var id = change.NodeId;
        return change.Type switch
        {
            ConfChangeType.AddVoter => new([.. Voters, id], [.. Learners.Where(l => l != id)]),
            ConfChangeType.AddLearner when !IsVoter(id) => new(Voters, [.. Learners, id]),
            ConfChangeType.PromoteLearner when IsLearner(id) => new([.. Voters, id], [.. Learners.Where(l => l != id)]),
            ConfChangeType.RemoveNode => new([.. Voters.Where(v => v != id)], [.. Learners.Where(l => l != id)]),
            _ => this,
        };
    }

    /// <inheritdoc />
    public bool Equals(ConfState? other) => other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var v in Voters)
        {
            hash.Add(v);
        }
        hash.Add(ulong.MaxValue);
        foreach (var l in Learners)
        {
            hash.Add(l);
        }
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"voters=({string.Join(",", Voters)}) learners=({string.Join(",", Learners)})";
}
