namespace K3sLab.Scenarios.Checkers;

/// <summary>The state of one key in the linearizability model: its value and mod revision.</summary>
/// <param name="Value">The current value; null when the key is absent.</param>
/// <param name="ModRevision">The revision of the last write; 0 when absent; <see cref="KvRegisterModel.UnknownRevision"/> after an indeterminate write.</param>
internal readonly record struct KvRegisterState(string? Value, long ModRevision);

/// <summary>
/// The sequential specification of one key of a revisioned key-value store (a register with mod revisions and
/// compare-and-swap). An indeterminate write may or may not have applied: applied, it is a step here that leaves the
/// revision unknown until a read pins it down; not applied, the search simply never takes it (an indeterminate CAS
/// that missed changed nothing, so it is no step of its own).
/// </summary>
internal static class KvRegisterModel
{
    /// <summary>The mod revision written by an operation whose response was never seen.</summary>
    public const long UnknownRevision = -1;

    /// <summary>The state of a key nobody wrote.</summary>
    public static KvRegisterState Initial => new(null, 0);

    /// <summary>The state <paramref name="op"/> leads to from <paramref name="state"/>; false when it is illegal there.</summary>
    public static bool TryStep(KvRegisterState state, KvOperation op, out KvRegisterState next)
    {
        next = state;
        var unknown = state.ModRevision == UnknownRevision;
        switch (op.Kind)
        {
            case KvOperationKind.Put:
                if (op.IsIndeterminate || op.Revision == 0)
                {
                    next = new(op.Value, UnknownRevision);
                    return true;
                }
                if (!unknown && op.Revision <= state.ModRevision)
                {
                    return false; // revisions only grow
                }
                next = new(op.Value, op.Revision);
                return true;
            case KvOperationKind.Get:
                if (!string.Equals(op.Value, state.Value, StringComparison.Ordinal))
                {
                    return false;
                }
                if (op.Revision != 0 && !unknown && op.Revision != state.ModRevision)
                {
                    return false;
                }
                next = unknown && op.Revision != 0 ? state with { ModRevision = op.Revision } : state;
                return true;
            default:
                return TryStepCas(state, op, unknown, out next);
        }
    }

    private static bool TryStepCas(KvRegisterState state, KvOperation op, bool unknown, out KvRegisterState next)
    {
        next = state;
        var matches = unknown ? op.ExpectedRevision != 0 : state.ModRevision == op.ExpectedRevision;
        if (op.IsIndeterminate)
        {
            // Only the applied case. One that missed changed nothing, which is the same as never linearizing it;
            // offering the miss as a step of its own multiplied the states to search by every subset of such
            // operations, and a history with many unanswered CASes (a power loss under load) ran out of budget.
            if (!matches)
            {
                return false;
            }
            next = new(op.Value, UnknownRevision);
            return true;
        }
        if (op.Succeeded)
        {
            if (!matches || (!unknown && op.Revision != 0 && op.Revision <= state.ModRevision))
            {
                return false;
            }
            next = new(op.Value, op.Revision == 0 ? UnknownRevision : op.Revision);
            return true;
        }
        // A CAS that failed for certain: legal only where it could have missed.
        return unknown || !matches;
    }
}
