namespace K3sLab.Scenarios.Checkers;

/// <summary>The state of one key in the linearizability model: its value and mod revision.</summary>
/// <param name="Value">The current value; null when the key is absent.</param>
/// <param name="ModRevision">The revision of the last write; 0 when absent; <see cref="KvRegisterModel.UnknownRevision"/> after an indeterminate write.</param>
internal readonly record struct KvRegisterState(string? Value, long ModRevision);

/// <summary>
/// The sequential specification of one key of a revisioned key-value store (a register with mod revisions and
/// compare-and-swap). Nondeterministic where the history is: an indeterminate CAS may or may not have applied, and an
/// indeterminate write leaves the revision unknown until a read pins it down.
/// </summary>
internal static class KvRegisterModel
{
    /// <summary>The mod revision written by an operation whose response was never seen.</summary>
    public const long UnknownRevision = -1;

    /// <summary>The state of a key nobody wrote.</summary>
    public static KvRegisterState Initial => new(null, 0);

    /// <summary>
    /// Writes into <paramref name="next"/> every state <paramref name="op"/> may lead to from <paramref name="state"/>,
    /// returning how many (0: the operation is illegal here; at most 2).
    /// </summary>
    public static int Step(KvRegisterState state, KvOperation op, Span<KvRegisterState> next)
    {
        var unknown = state.ModRevision == UnknownRevision;
        switch (op.Kind)
        {
            case KvOperationKind.Put:
                if (op.IsIndeterminate || op.Revision == 0)
                {
                    next[0] = new(op.Value, UnknownRevision);
                    return 1;
                }
                if (!unknown && op.Revision <= state.ModRevision)
                {
                    return 0; // revisions only grow
                }
                next[0] = new(op.Value, op.Revision);
                return 1;
            case KvOperationKind.Get:
                if (!string.Equals(op.Value, state.Value, StringComparison.Ordinal))
                {
                    return 0;
                }
                if (op.Revision != 0 && !unknown && op.Revision != state.ModRevision)
                {
                    return 0;
                }
                next[0] = unknown && op.Revision != 0 ? state with { ModRevision = op.Revision } : state;
                return 1;
            default:
                return StepCas(state, op, unknown, next);
        }
    }

    private static int StepCas(KvRegisterState state, KvOperation op, bool unknown, Span<KvRegisterState> next)
    {
        var matches = unknown ? op.ExpectedRevision != 0 : state.ModRevision == op.ExpectedRevision;
        var mayMiss = unknown || !matches;
        if (op.IsIndeterminate)
        {
            // Only the applied case. An indeterminate CAS that missed changed nothing, which is the same as never
            // linearizing it (the search need not linearize indeterminate operations at all); offering the miss as
            // a step of its own only multiplied the states to search by every subset of such operations, and a
            // history with many unanswered CASes (a power loss under load) ran out of search budget on them.
            if (matches)
            {
                next[0] = new(op.Value, UnknownRevision);
                return 1;
            }

            return 0;
        }
        if (op.Succeeded)
        {
            if (!matches || (!unknown && op.Revision != 0 && op.Revision <= state.ModRevision))
            {
                return 0;
            }
            next[0] = new(op.Value, op.Revision == 0 ? UnknownRevision : op.Revision);
            return 1;
        }
        if (!mayMiss)
        {
            return 0;
        }
        next[0] = state;
        return 1;
    }
}
