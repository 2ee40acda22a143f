using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>
    /// A read as of <see cref="RangeQuery.Revision"/> (0: the current one) with etcd's options, answering what the
    /// SQLite store answers. Throws <see cref="StoreException"/>: <see cref="StoreError.EmptyKey"/>,
    /// <see cref="StoreError.FutureRevision"/> or <see cref="StoreError.Compacted"/>.
    /// </summary>
    public RangeResult Range(RangeQuery query)
    {
        TxnValidation.ValidateRange(query);
        var at = query.Revision > 0 ? query.Revision : Revision;
        ReadChecks.Check(at, Revision, CompactRevision);
        return RangeAt(query, at) with { Revision = Revision };
    }

    /// <summary>
    /// The changes with revisions in [<paramref name="from"/>, <paramref name="to"/>] in order, each with the key's
    /// previous live version when the history still holds it, and the revision through which the answer is
    /// complete: at most about <paramref name="maxEvents"/> events but whole revisions only (a single revision
    /// larger than the page comes whole). The shape of <see cref="Store.Watch.IWatchHistory"/>; like the SQLite
    /// store's history it does not check the compacted revision, the watch hub does.
    /// </summary>
    public (IReadOnlyList<StoredEvent> Events, long Through) History(long from, long to, int maxEvents)
    {
        var events = ReadLog(FirstIndexOf(from), to, maxEvents);
        if (events.Count < maxEvents)
        {
            return (events, to);
        }

        var last = events[^1].Revision;
        if (events[0].Revision != last)
        {
            events.RemoveAll(e => e.Revision == last);
            return (events, last - 1);
        }

        return (ReadLog(FirstIndexOf(last), last, int.MaxValue), last);
    }

    private List<StoredEvent> ReadLog(int start, long to, int max)
    {
        var events = new List<StoredEvent>();
        for (var i = start; i < _log.Count && events.Count < max; i++)
        {
            var v = _log[i];
            if (v.ModRevision > to)
            {
                break;
            }

            var kv = v.IsTombstone ? new KeyValue(v.Key, 0, v.ModRevision, 0, [], 0) : v.ToKeyValue();
            var prev = v.Prev is { IsTombstone: false } p ? p.ToKeyValue() : null;
            events.Add(new StoredEvent(v.ModRevision, new WatchEvent(v.IsTombstone, kv, prev)));
        }

        return events;
    }

    /// <summary>The index of the first change in the log at or after <paramref name="revision"/>.</summary>
    private int FirstIndexOf(long revision)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (_log[mid].ModRevision < revision)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The SQLite store's range as of <paramref name="at"/>, already checked against the compacted and current revisions.</summary>
    private RangeResult RangeAt(RangeQuery query, long at)
    {
        if (query.Range.IsSingleKey)
        {
            var found = _index.Find(query.Range.Key)?.Head?.AtOrBefore(at) is { IsTombstone: false } v ? v : null;
            if (found is null)
            {
                return new RangeResult(at, [], false, 0);
            }

            if (query.CountOnly)
            {
                return new RangeResult(at, [], false, 1);
            }

            var kv = found.ToKeyValue();
            var shaped = RangeShaping.Shape(query, [query.KeysOnly ? kv with { Value = [] } : kv]);
            return new RangeResult(at, shaped.Kvs, shaped.More, 1);
        }

        if (query.CountOnly)
        {
            return new RangeResult(at, [], false, CountAt(query.Range, at));
        }

        if (query.NeedsFullScan)
        {
            var all = LiveAt(query.Range, at, query.KeysOnly);
            var shaped = RangeShaping.Shape(query, all);
            return new RangeResult(at, shaped.Kvs, shaped.More, all.Count);
        }

        var limit = query.Limit > 0 ? query.Limit + 1 : long.MaxValue;
        var kvs = LiveAt(query.Range, at, query.KeysOnly, limit);
        if (query.Limit > 0 && kvs.Count > query.Limit)
        {
            kvs.RemoveRange((int)query.Limit, kvs.Count - (int)query.Limit);
            return new RangeResult(at, kvs, true, CountAt(query.Range, at));
        }

        return new RangeResult(at, kvs, false, kvs.Count);
    }

    /// <summary>The live keys of a range as of a revision, in key order, at most <paramref name="limit"/>.</summary>
    private List<KeyValue> LiveAt(KeyRange range, long at, bool keysOnly, long limit = long.MaxValue)
    {
        var kvs = new List<KeyValue>();
        foreach (var history in _index.In(range))
        {
            if (kvs.Count >= limit)
            {
                break;
            }

            if (history.Head?.AtOrBefore(at) is { IsTombstone: false } v)
            {
                kvs.Add(keysOnly ? new KeyValue(v.Key, v.CreateRevision, v.ModRevision, v.Version, [], v.Lease) : v.ToKeyValue());
            }
        }

        return kvs;
    }

    private long CountAt(KeyRange range, long at)
    {
        var count = 0L;
        foreach (var history in _index.In(range))
        {
            if (history.Head?.AtOrBefore(at) is { IsTombstone: false })
            {
                count++;
            }
        }

        return count;
    }
}
