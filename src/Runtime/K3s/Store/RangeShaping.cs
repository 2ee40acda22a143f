namespace K3sLab.K3s.Store;

/// <summary>
/// The in-memory part of a range that etcd also does in memory: revision filters, sorting and the limit, applied
/// to every key of the range when <see cref="RangeQuery.NeedsFullScan"/>. Pure.
/// </summary>
internal static class RangeShaping
{
    public static (IReadOnlyList<KeyValue> Kvs, bool More) Shape(RangeQuery query, IReadOnlyList<KeyValue> all)
    {
        IEnumerable<KeyValue> kvs = all.Where(kv =>
            (query.MinModRevision == 0 || kv.ModRevision >= query.MinModRevision)
            && (query.MaxModRevision == 0 || kv.ModRevision <= query.MaxModRevision)
            && (query.MinCreateRevision == 0 || kv.CreateRevision >= query.MinCreateRevision)
            && (query.MaxCreateRevision == 0 || kv.CreateRevision <= query.MaxCreateRevision));

        // etcd: no order but a non-key target sorts ascending; a key target with no order keeps key order.
        var order = query.SortOrder == SortOrder.None && query.SortTarget != SortTarget.Key ? SortOrder.Ascend : query.SortOrder;
        if (order != SortOrder.None)
        {
            Comparison<KeyValue> compare = query.SortTarget switch
            {
                SortTarget.Version => (a, b) => a.Version.CompareTo(b.Version),
                SortTarget.Create => (a, b) => a.CreateRevision.CompareTo(b.CreateRevision),
                SortTarget.Mod => (a, b) => a.ModRevision.CompareTo(b.ModRevision),
                SortTarget.Value => (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value),
                _ => (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key),
            };
            var list = kvs.ToList();

            // Stable, so keys with equal targets stay in key order, as Go's sort.Stable keeps them in etcd.
            var sorted = list.Select((kv, i) => (kv, i)).ToList();
            sorted.Sort((x, y) =>
            {
                var c = order == SortOrder.Descend ? compare(y.kv, x.kv) : compare(x.kv, y.kv);
                return c != 0 ? c : x.i.CompareTo(y.i);
            });
            kvs = sorted.Select(p => p.kv);
        }

        var filtered = kvs.ToList();
        if (query.Limit > 0 && filtered.Count > query.Limit)
        {
            return (filtered.GetRange(0, (int)query.Limit), true);
        }

        return (filtered, false);
    }
}
