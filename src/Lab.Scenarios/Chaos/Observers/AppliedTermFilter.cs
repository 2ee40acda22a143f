namespace K3sLab.Scenarios.Chaos.Observers;

/// <summary>
/// Makes real etcd's status answers fit for the one-leader-per-term check. etcd 3.4's <c>endpoint status</c> reports
/// as <c>raftTerm</c> the term of the last entry the member applied, and reads it apart from the leader, so right
/// after an election a member already names the new leader while still reporting the old term until the new
/// leader's first entry reaches it (seen as "term 2: etcd-2 named etcd-1" just after etcd-0, term 2's leader, was
/// killed). In Raft a member's leader changes only with a new term, so an answer naming another leader than the
/// member's previous answer without a higher term has a stale term: its term is withheld (null, which the checks
/// skip) until the member reports a higher one. Pure; one instance per run, safe for concurrent polls.
/// </summary>
public sealed class AppliedTermFilter
{
    private readonly Dictionary<string, (string Leader, long Term, bool Stale)> _runs = new(StringComparer.Ordinal);

    /// <summary>The term to record for <paramref name="member"/>'s answer (term, leader), or null when it is stale.</summary>
    public long? Filter(string member, long term, string? leader)
    {
        if (leader is null)
        {
            return term;
        }

        lock (_runs)
        {
            if (!_runs.TryGetValue(member, out var run))
            {
                _runs[member] = (leader, term, false);
                return term;
            }

            if (leader == run.Leader)
            {
                if (run.Stale && term <= run.Term)
                {
                    return null;
                }

                _runs[member] = (leader, Math.Max(term, run.Term), false);
                return term;
            }

            if (term > run.Term)
            {
                _runs[member] = (leader, term, false);
                return term;
            }

            _runs[member] = (leader, run.Term, true);
            return null;
        }
    }
}
