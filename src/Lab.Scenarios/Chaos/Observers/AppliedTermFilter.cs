namespace K3sLab.Scenarios.Chaos.Observers;

/// <summary>
/// Makes real etcd's status answers fit for the one-leader-per-term check. etcd 3.4's <c>endpoint status</c> reports
/// as <c>raftTerm</c> the term of the last entry the member applied, and reads it apart from the leader, so right
/// after an election a member already names the new leader while still reporting the old term until the new
/// leader's first entry reaches it (seen as "term 2: etcd-2 named etcd-1" just after etcd-0, term 2's leader, was
/// killed). In Raft a member's leader changes only with a new term, so an answer naming another leader than the
/// member's previous answer without a higher term has a stale term: its term is withheld (null, which the checks
/// skip) until the member reports a higher one. Answers are judged in the order they were taken: polls overlap (the
/// observer's loop and a step asking who leads), and an answer taken before one already judged is withheld and
/// changes nothing. Judged after the newer one, an answer from before an election named the old leader in a lower
/// term, and that had marked every later answer of the member stale for the whole term (a CI run saw no agreed
/// leader for 17 s after etcd elected one in 1.4 s). Pure; one instance per run, safe for concurrent polls.
/// </summary>
public sealed class AppliedTermFilter
{
    private readonly Dictionary<string, (string Leader, long Term, bool Stale)> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _latest = new(StringComparer.Ordinal);

    /// <summary>
    /// The term to record for <paramref name="member"/>'s answer (term, leader) taken at <paramref name="takenAt"/>
    /// (seconds into the run), or null when it is stale or was overtaken by a newer answer.
    /// </summary>
    public long? Filter(string member, double takenAt, long term, string? leader)
    {
        lock (_runs)
        {
            if (_latest.TryGetValue(member, out var latest) && takenAt < latest)
            {
                return null;
            }

            _latest[member] = takenAt;
            if (leader is null)
            {
                return term;
            }

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
