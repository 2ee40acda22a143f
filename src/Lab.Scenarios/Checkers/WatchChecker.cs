namespace K3sLab.Scenarios.Checkers;

/// <summary>
/// Checks watcher streams against the committed history (every event of every revision, in order, with no compaction:
/// the whole history is the window). Each <see cref="WatchItemKind.Start"/> opens a new watch on the stream; within a
/// watch the expected events are exactly the history from its start revision, so every deviation maps to one of the
/// six guarantees. Pure; the history must be complete up to the highest revision any watcher could have seen.
/// </summary>
internal static class WatchChecker
{
    /// <summary>Returns every violation found (at most one per watch and guarantee, to keep reports short).</summary>
    public static IReadOnlyList<WatchViolation> Check(IReadOnlyList<WatchEvent> history, IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> streams)
    {
        var byRevision = history.GroupBy(e => e.Revision).ToDictionary(g => g.Key, g => g.ToArray());
        var revisions = byRevision.Keys.Order().ToArray();
        var violations = new List<WatchViolation>();
        foreach (var (name, stream) in streams.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            CheckStream(name, stream, byRevision, revisions, violations);
        }
        return violations;
    }

    private static void CheckStream(string name, IReadOnlyList<WatchStreamItem> stream, Dictionary<long, WatchEvent[]> byRevision, long[] revisions, List<WatchViolation> violations)
    {
        var found = new HashSet<WatchGuarantee>();
        void Fail(WatchGuarantee g, string detail)
        {
            if (found.Add(g))
            {
                violations.Add(new WatchViolation(name, g, detail));
            }
        }

        var watch = -1;
        long start = 0;
        var nextIndex = 0;             // index in `revisions` of the next revision this watch owes
        (long Rev, int Pos) last = (0, -1);
        long lastProgress = 0;
        var seen = new HashSet<(long, string)>();
        foreach (var item in stream)
        {
            switch (item.Kind)
            {
                case WatchItemKind.Start:
                    watch++;
                    start = item.Revision;
                    nextIndex = LowerBound(revisions, start);
                    last = (0, -1);
                    lastProgress = 0;
                    seen.Clear();
                    break;
                case WatchItemKind.Progress:
                    if (watch >= 0 && nextIndex < revisions.Length && revisions[nextIndex] <= item.Revision)
                    {
                        Fail(WatchGuarantee.Bookmarkable, $"watch #{watch} got progress r{item.Revision} before the event at r{revisions[nextIndex]}");
                    }
                    lastProgress = Math.Max(lastProgress, item.Revision);
                    break;
                default:
                    if (watch < 0)
                    {
                        Fail(WatchGuarantee.Resumable, "events before the watch was opened");
                        break;
                    }
                    CheckResponse(item.Events);
                    break;
            }
        }

        void CheckResponse(IReadOnlyList<WatchEvent> events)
        {
            var i = 0;
            while (i < events.Count)
            {
                var rev = events[i].Revision;
                var j = i;
                while (j < events.Count && events[j].Revision == rev)
                {
                    j++;
                }
                CheckRevision(rev, events, i, j);
                i = j;
            }
        }

        void CheckRevision(long rev, IReadOnlyList<WatchEvent> events, int from, int to)
        {
            if (!byRevision.TryGetValue(rev, out var expected))
            {
                Fail(WatchGuarantee.Reliable, $"watch #{watch} got {events[from]}, which is not in the committed history");
                return;
            }
            for (var k = from; k < to; k++)
            {
                var e = events[k];
                var pos = Array.IndexOf(expected, e);
                if (pos < 0)
                {
                    Fail(WatchGuarantee.Reliable, $"watch #{watch} got {e}; the history has [{string.Join(", ", expected.Select(x => x.ToString()))}] at r{rev}");
                    continue;
                }
                if (!seen.Add((rev, e.Key)))
                {
                    Fail(WatchGuarantee.Unique, $"watch #{watch} got {e} twice");
                    continue;
                }
                if ((rev, pos).CompareTo(last) <= 0)
                {
                    Fail(WatchGuarantee.Ordered, $"watch #{watch} got {e} after r{last.Rev}");
                }
                if (rev <= lastProgress)
                {
                    Fail(WatchGuarantee.Bookmarkable, $"watch #{watch} got {e} after progress r{lastProgress}");
                }
                last = (rev, pos);
            }
            if (to - from != expected.Length)
            {
                Fail(WatchGuarantee.Atomic, $"watch #{watch} got {to - from} of the {expected.Length} events of r{rev} in one response");
            }
            if (rev < start)
            {
                Fail(WatchGuarantee.Resumable, $"watch #{watch} opened at r{start} got r{rev}");
                return;
            }
            if (nextIndex < revisions.Length && revisions[nextIndex] == rev)
            {
                nextIndex++;
            }
            else if (nextIndex < revisions.Length && revisions[nextIndex] < rev)
            {
                var missing = revisions[nextIndex];
                var isFirst = seen.Count == to - from;
                Fail(isFirst ? WatchGuarantee.Resumable : WatchGuarantee.Reliable,
                    isFirst ? $"watch #{watch} opened at r{start} started at r{rev}, skipping r{missing}" : $"watch #{watch} skipped r{missing} (got r{rev})");
                nextIndex = LowerBound(revisions, rev) + 1;
            }
        }
    }

    private static int LowerBound(long[] sorted, long value)
    {
        var i = Array.BinarySearch(sorted, value);
        return i >= 0 ? i : ~i;
    }
}
