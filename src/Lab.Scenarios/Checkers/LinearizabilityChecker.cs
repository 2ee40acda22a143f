namespace K3sLab.Scenarios.Checkers;

/// <summary>
/// Decides whether a key-value history is linearizable, key by key (a register per key), with a depth-first search
/// over linearization orders in the style of Wing and Gong with memoized (linearized set, value) states, as porcupine
/// does. Operations with unknown outcome never constrain others: linearizing them last is always possible, which
/// models "may not have happened".
/// </summary>
internal static class LinearizabilityChecker
{
    /// <summary>Returns null when linearizable, otherwise the first key whose history is not.</summary>
    public static string? FindViolation(IEnumerable<KvOperation> history)
    {
        foreach (var group in history.GroupBy(o => o.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ops = group.OrderBy(o => o.Call).ToArray();
            if (!Search(ops, new bool[ops.Length], 0, null, []))
            {
                return group.Key;
            }
        }
        return null;
    }

    private static bool Search(KvOperation[] ops, bool[] done, int doneCount, string? value, HashSet<string> visited)
    {
        if (doneCount == ops.Length)
        {
            return true;
        }
        var state = string.Concat(done.Select(d => d ? '1' : '0')) + "|" + (value ?? "\0");
        if (!visited.Add(state))
        {
            return false;
        }
        // An operation may go next only if it was called before every pending operation returned.
        var horizon = long.MaxValue;
        for (var i = 0; i < ops.Length; i++)
        {
            if (!done[i])
            {
                horizon = Math.Min(horizon, ops[i].Return);
            }
        }
        for (var i = 0; i < ops.Length; i++)
        {
            if (done[i] || ops[i].Call > horizon)
            {
                continue;
            }
            var op = ops[i];
            string? next;
            if (op.Kind == KvOperationKind.Put)
            {
                next = op.Value;
            }
            else if (string.Equals(op.Value, value, StringComparison.Ordinal))
            {
                next = value;
            }
            else
            {
                continue;
            }
            done[i] = true;
            var ok = Search(ops, done, doneCount + 1, next, visited);
            done[i] = false;
            if (ok)
            {
                return true;
            }
        }
        return false;
    }
}
