using K3sLab.Scenarios.Checkers;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// The register history (reads and compare-and-swaps of <c>reg-*</c> ConfigMaps) is linearizable: some order of
/// the operations respects real time and a revisioned register's rules, where writes with unknown outcomes may or
/// may not have happened. A stale read from a partitioned server, a lost acknowledged write, or a CAS that
/// applied twice all make it fail, with the offending key's operations as evidence.
/// </summary>
public static class LinearizableCheck
{
    public static CheckResult Run(IReadOnlyList<OperationRecord> operations)
    {
        // The Kubernetes API's registers and the etcd API's keys (store-load): each key's history is checked alone.
        var history = operations.Where(o => o.Key.StartsWith("reg-", StringComparison.Ordinal) || o.Key.StartsWith("store-", StringComparison.Ordinal)).Select(ToKv).OfType<KvOperation>().ToList();
        var result = LinearizabilityChecker.Check(history);
        var counts = $"{history.Count:N0} operations on {history.Select(o => o.Key).Distinct().Count()} keys ({history.Count(o => o.IsIndeterminate):N0} with unknown outcome)";
        return result.Outcome switch
        {
            LinearizabilityOutcome.Ok => CheckResult.Pass("linearizable", $"{counts}: linearizable"),
            LinearizabilityOutcome.Unknown => CheckResult.Fail("linearizable", $"{counts}: undecided on key {result.Key} after {result.Steps:N0} search steps (too many concurrent unknown writes)", Evidence(history, result.Key)),
            _ => CheckResult.Fail("linearizable", $"{counts}: NOT linearizable on key {result.Key}: no order of its operations is legal", Evidence(history, result.Key)),
        };
    }

    private static KvOperation? ToKv(OperationRecord o)
    {
        var label = $"client {o.Client} via {o.Via}";
        return (o.Kind, o.Outcome) switch
        {
            ("read", OperationOutcome.Ok) => KvOperation.Get(o.Key, o.Value, o.Call, o.Return, o.Revision) with { Label = label },
            ("read", _) => null,
            ("cas", OperationOutcome.Ok) => KvOperation.Cas(o.Key, o.Expected, o.Value!, true, o.Call, o.Return, o.Revision) with { Label = label },
            ("cas", OperationOutcome.Failed) => KvOperation.Cas(o.Key, o.Expected, o.Value!, false, o.Call, o.Return) with { Label = label },
            ("cas", _) => KvOperation.Cas(o.Key, o.Expected, o.Value!, true, o.Call, KvOperation.Unknown) with { Label = label },
            ("put", OperationOutcome.Ok) => KvOperation.Put(o.Key, o.Value!, o.Call, o.Return, o.Revision) with { Label = label },
            ("put", OperationOutcome.Failed) => null,
            ("put", _) => KvOperation.Put(o.Key, o.Value!, o.Call, KvOperation.Unknown) with { Label = label },
            _ => null,
        };
    }

    /// <summary>
    /// The operations up to the earliest point the key's history stops being linearizable: a binary search over cut
    /// times t (the operations' return times), keeping what was called by t, where a write not returned by t counts
    /// as unknown and a read not returned by t is left out. Each cut is a relaxation of the whole history (anything
    /// a kept read could have seen was called before it returned), so an illegal cut is real evidence.
    /// </summary>
    private static IEnumerable<string> Evidence(List<KvOperation> history, string? key)
    {
        var ops = history.Where(o => o.Key == key).OrderBy(o => o.Call).ToList();
        var cuts = ops.Select(o => o.Return).Where(r => r != KvOperation.Unknown).Distinct().Order().ToList();
        if (cuts.Count == 0)
        {
            return ops.TakeLast(30).Select(o => o.ToString());
        }

        var (lo, hi) = (0, cuts.Count - 1);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (LinearizabilityChecker.Check(Cut(ops, cuts[mid])).Outcome == LinearizabilityOutcome.Illegal)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        var prefix = Cut(ops, cuts[lo]);
        return new[] { $"times are microseconds since the run started; [call,return], ? = no answer; the history of {key} up to {cuts[lo]} µs ({prefix.Count} of {ops.Count} operations) is already not linearizable; its last operations:" }
            .Concat(prefix.OrderBy(o => o.Call).TakeLast(30).Select(o => o.ToString()));
    }

    private static List<KvOperation> Cut(List<KvOperation> ops, long t) =>
        [.. ops.Where(o => o.Call <= t && (o.Kind != KvOperationKind.Get || o.Return <= t))
            .Select(o => o.Return <= t ? o : o with { Return = KvOperation.Unknown })];
}
