using K3sLab.K3s.Store;
using EventId = K3sLab.K3s.Store.Sql.EventId;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    private readonly List<Undo> _undo = [];
    private readonly List<StoredEvent> _events = [];

    /// <summary>The revision the running command writes at; it becomes <see cref="Revision"/> only if something was written.</summary>
    private long _pending;

    /// <summary>Writes of the running command so far (the next sub-revision).</summary>
    private int _sub;

    private int _logMark;

    private enum UndoKind
    {
        Version,
        Attach,
        Detach,
    }

    /// <summary>How to take back one change of the running command if it fails.</summary>
    private readonly record struct Undo(UndoKind Kind, KeyHistory? History, bool NewHistory, byte[]? Key, long Lease);

    /// <summary>Reads inside a transaction see its own writes once it has written, as the SQLite store's do.</summary>
    private long ReadRevision => _sub > 0 ? _pending : Revision;

    private void Begin()
    {
        _pending = Revision + 1;
        _sub = 0;
        _logMark = _log.Count;
        _undo.Clear();
        _events.Clear();
    }

    /// <summary>Publishes the pending revision if the command wrote anything.</summary>
    private void Commit()
    {
        if (_sub > 0)
        {
            Revision = _pending;
        }

        _undo.Clear();
    }

    private void Rollback()
    {
        for (var i = _undo.Count - 1; i >= 0; i--)
        {
            var u = _undo[i];
            switch (u.Kind)
            {
                case UndoKind.Version:
                    u.History!.Head = u.History.Head!.Prev;
                    if (u.NewHistory)
                    {
                        _index.Remove(u.History);
                    }

                    break;
                case UndoKind.Attach:
                    DetachKey(u.Key!, u.Lease);
                    break;
                case UndoKind.Detach:
                    AttachKey(u.Key!, u.Lease);
                    break;
            }
        }

        _log.RemoveRange(_logMark, _log.Count - _logMark);
        _undo.Clear();
        _events.Clear();
    }

    private TxnResult ApplyTxn(TxnRequest txn)
    {
        TxnValidation.Validate(txn, _options.MaxTxnOps);
        var result = Run(txn);
        Commit();
        return Stamp(result, Revision);
    }

    /// <summary>Puts, deletes and nested transactions report the transaction's revision; ranges keep the revision they read at.</summary>
    private static TxnResult Stamp(TxnResult result, long revision)
    {
        var responses = new OpResult[result.Responses.Count];
        for (var i = 0; i < responses.Length; i++)
        {
            responses[i] = result.Responses[i] is TxnResult nested ? Stamp(nested, revision) : result.Responses[i];
        }

        return result with { Revision = revision, Responses = responses };
    }

    private TxnResult Run(TxnRequest txn)
    {
        var succeeded = true;
        foreach (var compare in txn.Compares)
        {
            if (!CompareEvaluation.Holds(compare, Find(compare.Range)))
            {
                succeeded = false;
                break;
            }
        }

        var ops = succeeded ? txn.Success : txn.Failure;
        var results = new OpResult[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            results[i] = ops[i] switch
            {
                PutOp put => Put(put),
                DeleteOp delete => Delete(delete),
                RangeOp range => RangeInTxn(range.Query),
                NestedTxnOp nested => Run(nested.Txn),
                var op => throw new StoreException(StoreError.NotSupported, $"operation {op.GetType().Name} is not supported"),
            };
        }

        return new TxnResult(0, succeeded, results);
    }

    private List<KeyValue> Find(KeyRange range) => LiveAt(range, ReadRevision, keysOnly: false);

    private RangeResult RangeInTxn(RangeQuery query)
    {
        var read = ReadRevision;
        var at = query.Revision > 0 ? query.Revision : read;
        ReadChecks.Check(at, read, CompactRevision);
        return RangeAt(query, at) with { Revision = read };
    }

    private PutResult Put(PutOp put)
    {
        var history = _index.Find(put.Key);
        var row = history?.Head;
        var live = row is { IsTombstone: false } ? row : null;
        if ((put.IgnoreValue || put.IgnoreLease) && live is null)
        {
            throw new StoreException(StoreError.KeyNotFound, "ignore_value or ignore_lease needs a key that exists");
        }

        var value = put.IgnoreValue ? live!.Value : put.Value;
        var lease = put.IgnoreLease ? live!.Lease : put.Lease;
        if (lease != 0 && !_leases.ContainsKey(lease))
        {
            throw new StoreException(StoreError.LeaseNotFound, $"lease {lease:x} does not exist");
        }

        var key = history?.Key ?? put.Key;
        var prev = live?.ToKeyValue();
        var version = new KeyVersion(key, _pending, _sub, live?.CreateRevision ?? _pending, (live?.Version ?? 0) + 1, value, lease);
        Insert(history, version, prev);
        if (live is not null && live.Lease != 0 && live.Lease != lease)
        {
            Detach(key, live.Lease);
        }

        if (lease != 0 && lease != live?.Lease)
        {
            Attach(key, lease);
        }

        return new PutResult(put.PrevKv ? prev : null);
    }

    private DeleteResult Delete(DeleteOp delete)
    {
        var doomed = new List<KeyHistory>();
        foreach (var history in _index.In(delete.Range))
        {
            if (history.Head is { IsTombstone: false })
            {
                doomed.Add(history);
            }
        }

        var prevKvs = delete.PrevKv ? new List<KeyValue>(doomed.Count) : null;
        foreach (var history in doomed)
        {
            var prev = Tombstone(history);
            prevKvs?.Add(prev);
        }

        return new DeleteResult(doomed.Count, prevKvs ?? (IReadOnlyList<KeyValue>)[]);
    }

    /// <summary>Deletes a live key at the pending revision; returns the version it deleted.</summary>
    private KeyValue Tombstone(KeyHistory history)
    {
        var live = history.Head!;
        var prev = live.ToKeyValue();
        Insert(history, KeyVersion.Tombstone(history.Key, _pending, _sub), prev);
        if (live.Lease != 0)
        {
            Detach(history.Key, live.Lease);
        }

        return prev;
    }

    /// <summary>Links a new change of a key at the pending revision and records its event.</summary>
    private void Insert(KeyHistory? history, KeyVersion version, KeyValue? prev)
    {
        if (_sub >= EventId.MaxWritesPerRevision)
        {
            throw new StoreException(StoreError.TooManyOps, $"a transaction may change at most {EventId.MaxWritesPerRevision} keys");
        }

        var isNew = history is null;
        if (history is null)
        {
            history = new KeyHistory(version.Key);
            _index.Add(history);
        }

        version.Prev = history.Head;
        history.Head = version;
        _log.Add(version);
        _sub++;
        _undo.Add(new Undo(UndoKind.Version, history, isNew, null, 0));
        var kv = version.IsTombstone ? new KeyValue(version.Key, 0, version.ModRevision, 0, [], 0) : version.ToKeyValue();
        _events.Add(new StoredEvent(_pending, new WatchEvent(version.IsTombstone, kv, prev)));
    }

    private void Attach(byte[] key, long lease)
    {
        AttachKey(key, lease);
        _undo.Add(new Undo(UndoKind.Attach, null, false, key, lease));
    }

    private void Detach(byte[] key, long lease)
    {
        DetachKey(key, lease);
        _undo.Add(new Undo(UndoKind.Detach, null, false, key, lease));
    }

    private void AttachKey(byte[] key, long lease)
    {
        if (_leases.TryGetValue(lease, out var record))
        {
            record.Keys.Add(key);
        }
    }

    private void DetachKey(byte[] key, long lease)
    {
        if (_leases.TryGetValue(lease, out var record))
        {
            record.Keys.Remove(key);
        }
    }
}
