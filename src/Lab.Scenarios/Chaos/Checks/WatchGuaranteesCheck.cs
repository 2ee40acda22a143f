using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Chaos.Checks;

/// <summary>
/// Every watcher's stream, across its resumes after failovers, keeps the six watch guarantees (ordered, unique,
/// atomic, reliable, resumable, bookmarkable) against the namespace's history replayed at the end.
/// </summary>
public static class WatchGuaranteesCheck
{
    /// <summary>
    /// The Kubernetes watchers against the namespace's history and the store watchers against their keys' history,
    /// whichever ran (null: that workload had no watchers); the check holds when both do.
    /// </summary>
    internal static CheckResult Run(
        (IReadOnlyList<WatchEvent>? History, IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> Streams)? api,
        (IReadOnlyList<WatchEvent>? History, IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> Streams)? store)
    {
        if (store is not { } s)
        {
            return Run(api?.History, api?.Streams ?? new Dictionary<string, IReadOnlyList<WatchStreamItem>>());
        }

        var onStore = Run(s.History, s.Streams);
        var storeResult = onStore with { Summary = "etcd API: " + onStore.Summary };
        if (api is not { } a || a.Streams.Count == 0)
        {
            return storeResult;
        }

        var onApi = Run(a.History, a.Streams);
        return (onApi.Passed && onStore.Passed ? onApi : onApi with { Passed = false }) with
        {
            Summary = $"Kubernetes API: {onApi.Summary}; etcd API: {onStore.Summary}",
            Details = [.. onApi.Details, .. onStore.Details],
        };
    }

    internal static CheckResult Run(IReadOnlyList<WatchEvent>? history, IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> streams)
    {
        if (streams.Count == 0)
        {
            return CheckResult.Fail("watch-guarantees", "no watchers ran: give the load step 'watchers: N'", []);
        }

        if (history is null)
        {
            return CheckResult.Fail("watch-guarantees", "the namespace's history could not be replayed after the run", []);
        }

        var violations = WatchChecker.Check(history, streams);
        var delivered = string.Join(", ", streams.Select(s => $"{s.Key}: {s.Value.Count(i => i.Kind == WatchItemKind.Response)} events, {s.Value.Count(i => i.Kind == WatchItemKind.Start) - 1} resumes"));
        var summary = $"{history.Count:N0} events in the history; {delivered}";
        return violations.Count == 0
            ? CheckResult.Pass("watch-guarantees", summary + "; all six guarantees held")
            : CheckResult.Fail("watch-guarantees", $"{violations.Count} violations; {summary}", violations.Select(v => v.ToString()));
    }
}
