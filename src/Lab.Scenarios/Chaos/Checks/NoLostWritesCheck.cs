using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// Every ledger ConfigMap whose create was acknowledged exists once the cluster has healed, and nothing exists that
/// no client tried to create. Creates with unknown outcomes may go either way.
/// </summary>
public static class NoLostWritesCheck
{
    public static CheckResult Run(IReadOnlyList<OperationRecord> operations, IReadOnlySet<string>? ledger)
    {
        var creates = operations.Where(o => o.Kind == "create").ToList();
        if (ledger is null)
        {
            return CheckResult.Fail("no-lost-writes", "the ledger could not be read after the run: the API did not answer", []);
        }

        var acknowledged = creates.Where(o => o.Outcome == OperationOutcome.Ok).ToList();
        var lost = acknowledged.Where(o => !ledger.Contains(o.Key)).ToList();
        var attempted = creates.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        var phantom = ledger.Where(n => !attempted.Contains(n)).ToList();
        var unknownKept = creates.Count(o => o.Outcome == OperationOutcome.Unknown && ledger.Contains(o.Key));
        var summary = $"{acknowledged.Count:N0} acknowledged creates, {creates.Count - acknowledged.Count:N0} unknown ({unknownKept:N0} of them took effect); {lost.Count} lost, {phantom.Count} never attempted";
        return lost.Count == 0 && phantom.Count == 0
            ? CheckResult.Pass("no-lost-writes", summary)
            : CheckResult.Fail("no-lost-writes", summary, lost.Select(o => $"lost: {o.Key}, acknowledged at {o.Return / 1e6:0.000} s with resourceVersion {o.Revision} via {o.Via}")
                .Concat(phantom.Select(n => $"never attempted but present: {n}")));
    }
}
