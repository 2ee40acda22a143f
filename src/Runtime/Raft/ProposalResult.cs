namespace K3sLab.Raft;

/// <summary>Outcome of a proposal: the entry's (term, index) when accepted, otherwise why it was refused.</summary>
public readonly record struct ProposalResult(ulong Term, ulong Index, string? Refusal)
{
    /// <summary>True when the entry was appended to the leader's log (it may still be lost if leadership changes).</summary>
    public bool Accepted => Refusal is null;

    internal static ProposalResult Refused(string reason) => new(0, 0, reason);
}
