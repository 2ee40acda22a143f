namespace K3sLab.Scenarios.Checkers;

/// <summary>The verdict on a history.</summary>
internal enum LinearizabilityOutcome
{
    /// <summary>Some order of the operations respects real time and the model.</summary>
    Ok,
    /// <summary>No such order exists.</summary>
    Illegal,
    /// <summary>The search ran out of its step budget before deciding.</summary>
    Unknown,
}

/// <summary>The verdict, with the first key that was not <see cref="LinearizabilityOutcome.Ok"/> and the search effort.</summary>
internal sealed record LinearizabilityResult(LinearizabilityOutcome Outcome, string? Key, long Steps)
{
    /// <inheritdoc />
    public override string ToString() => Outcome == LinearizabilityOutcome.Ok ? $"linearizable ({Steps} steps)" : $"{Outcome} on key {Key} ({Steps} steps)";
}

/// <summary>
/// Decides whether a key-value history is linearizable against <see cref="KvRegisterModel"/>. Keys are independent
/// registers, so each key's sub-history is checked on its own (P-compositionality). Per key it is a depth-first search
/// over linearization orders (Wing and Gong, with Lowe's memoization): an operation may be linearized next only if it
/// was called before every not-yet-linearized operation returned, and a (linearized set, model state) pair already
/// explored is never explored again. Indeterminate operations return at infinity and need not be linearized at all,
/// which is "may or may not have happened". A step budget bounds the work; exhausting it gives
/// <see cref="LinearizabilityOutcome.Unknown"/>. Not thread-safe per call; calls are independent.
/// </summary>
internal static class LinearizabilityChecker
{
    /// <summary>Default number of search steps per key before giving up.</summary>
    public const long DefaultBudget = 2_000_000;

    /// <summary>Checks every key; stops at the first key that is illegal or undecided.</summary>
    public static LinearizabilityResult Check(IEnumerable<KvOperation> history, long budgetPerKey = DefaultBudget)
    {
        long total = 0;
        foreach (var group in history.GroupBy(o => o.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var search = new KeySearch([.. group.OrderBy(o => o.Call)], budgetPerKey);
            var outcome = search.Run();
            total += search.Steps;
            if (outcome != LinearizabilityOutcome.Ok)
            {
                return new LinearizabilityResult(outcome, group.Key, total);
            }
        }
        return new LinearizabilityResult(LinearizabilityOutcome.Ok, null, total);
    }

    /// <summary>Returns null when linearizable, otherwise the first key whose history is not (or is undecided).</summary>
    public static string? FindViolation(IEnumerable<KvOperation> history) => Check(history).Key;

    private sealed class KeySearch(KvOperation[] ops, long budget)
    {
        private readonly ulong[] _done = new ulong[(ops.Length + 63) / 64];
        private readonly HashSet<MemoKey> _visited = new(MemoKeyComparer.Instance);
        private readonly int _determinate = ops.Count(o => !o.IsIndeterminate);
        private int _doneDeterminate;

        public long Steps { get; private set; }

        public LinearizabilityOutcome Run()
        {
            try
            {
                return Search(KvRegisterModel.Initial) ? LinearizabilityOutcome.Ok : LinearizabilityOutcome.Illegal;
            }
            catch (BudgetExhaustedException)
            {
                return LinearizabilityOutcome.Unknown;
            }
        }

        private bool IsDone(int i) => (_done[i >> 6] & (1UL << (i & 63))) != 0;

        private void Flip(int i) => _done[i >> 6] ^= 1UL << (i & 63);

        private bool Search(KvRegisterState state)
        {
            if (_doneDeterminate == _determinate)
            {
                return true;
            }
            if (!_visited.Add(new MemoKey((ulong[])_done.Clone(), state)))
            {
                return false;
            }
            if (++Steps > budget)
            {
                throw new BudgetExhaustedException();
            }
            var horizon = long.MaxValue;
            for (var i = 0; i < ops.Length; i++)
            {
                if (!IsDone(i) && ops[i].Return < horizon)
                {
                    horizon = ops[i].Return;
                }
            }
            for (var i = 0; i < ops.Length && ops[i].Call < horizon; i++)
            {
                if (IsDone(i) || !KvRegisterModel.TryStep(state, ops[i], out var candidate))
                {
                    continue;
                }
                var determinate = ops[i].IsIndeterminate ? 0 : 1;
                Flip(i);
                _doneDeterminate += determinate;
                var ok = Search(candidate);
                _doneDeterminate -= determinate;
                Flip(i);
                if (ok)
                {
                    return true;
                }
            }
            return false;
        }
    }

    private readonly record struct MemoKey(ulong[] Done, KvRegisterState State);

    private sealed class MemoKeyComparer : IEqualityComparer<MemoKey>
    {
        public static readonly MemoKeyComparer Instance = new();

        public bool Equals(MemoKey x, MemoKey y) => x.State == y.State && x.Done.AsSpan().SequenceEqual(y.Done);

        public int GetHashCode(MemoKey key)
        {
            var h = new HashCode();
            foreach (var w in key.Done)
            {
                h.Add(w);
            }
            h.Add(key.State.ModRevision);
            h.Add(key.State.Value is null ? 0 : string.GetHashCode(key.State.Value, StringComparison.Ordinal));
            return h.ToHashCode();
        }
    }

    private sealed class BudgetExhaustedException : Exception;
}
