using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sqlite;

/// <summary>
/// Applies one transaction on the writer's connection inside the running batch: evaluates the compares at the
/// writer's revision, runs the chosen branch, and writes every change at one new revision with increasing
/// sub-revisions, as etcd does. Reads inside the transaction see its own earlier writes.
/// </summary>
internal sealed class TxnApplier(SqliteWriter writer)
{
    private long _revision;
    private int _sub;

    private SqliteConnection Db => writer.Db;

    private SqliteTransaction? Tx => writer.Transaction;

    /// <summary>Checked before the compare: reads of older revisions fail as in etcd.</summary>
    public Func<long> CompactRevision { get; set; } = () => 0;

    public TxnResult Apply(TxnRequest txn)
    {
        var current = writer.Revision;
        _revision = current + 1;
        _sub = 0;
        var result = Run(txn);
        if (_sub > 0)
        {
            writer.Revision = _revision;
        }

        return Stamp(result, writer.Revision);
    }

    /// <summary>Deletes the given keys at one new revision (lease revoke); returns the revision after it.</summary>
    public long DeleteKeys(IReadOnlyList<byte[]> keys)
    {
        _revision = writer.Revision + 1;
        _sub = 0;
        foreach (var key in keys)
        {
            if (SqliteReads.Latest(Db, Tx, key, _revision) is { Deleted: false } row)
            {
                Tombstone(row);
            }
        }

        if (_sub > 0)
        {
            writer.Revision = _revision;
        }

        return writer.Revision;
    }

    /// <summary>Puts, deletes and nested transactions report the transaction's revision; ranges keep the revision they read at, as in etcd.</summary>
    private static TxnResult Stamp(TxnResult result, long revision) =>
        result with { Revision = revision, Responses = [.. result.Responses.Select(r => r is TxnResult nested ? Stamp(nested, revision) : r)] };

    private long ReadRevision => _sub > 0 ? _revision : writer.Revision;

    private TxnResult Run(TxnRequest txn)
    {
        var succeeded = txn.Compares.All(c => CompareEvaluation.Holds(c, Find(c.Range)));
        var ops = succeeded ? txn.Success : txn.Failure;
        var results = new List<OpResult>(ops.Count);
        foreach (var op in ops)
        {
            results.Add(op switch
            {
                PutOp put => Put(put),
                DeleteOp delete => Delete(delete),
                RangeOp range => Range(range.Query),
                NestedTxnOp nested => Run(nested.Txn),
                _ => throw new StoreException(StoreError.NotSupported, $"operation {op.GetType().Name} is not supported"),
            });
        }

        return new TxnResult(0, succeeded, results);
    }

    private List<KeyValue> Find(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            return SqliteReads.Latest(Db, Tx, range.Key, ReadRevision) is { Deleted: false } row ? [row.Kv] : [];
        }

        return SqliteReads.Live(Db, Tx, range, ReadRevision);
    }

    private RangeResult Range(RangeQuery query)
    {
        var at = query.Revision > 0 ? query.Revision : ReadRevision;
        ReadChecks.Check(at, ReadRevision, CompactRevision());
        return SqliteReads.Range(Db, Tx, query, at) with { Revision = ReadRevision };
    }

    private PutResult Put(PutOp put)
    {
        var row = SqliteReads.Latest(Db, Tx, put.Key, _revision);
        var live = row is { Deleted: false } ? row : null;
        if ((put.IgnoreValue || put.IgnoreLease) && live is null)
        {
            throw new StoreException(StoreError.KeyNotFound, "ignore_value or ignore_lease needs a key that exists");
        }

        var value = put.IgnoreValue ? live!.Kv.Value : put.Value;
        var lease = put.IgnoreLease ? live!.Kv.Lease : put.Lease;
        if (lease != 0 && !writer.Lessor.Known(lease))
        {
            throw new StoreException(StoreError.LeaseNotFound, $"lease {lease:x} does not exist");
        }

        var kv = new KeyValue(put.Key, live?.Kv.CreateRevision ?? _revision, _revision, (live?.Kv.Version ?? 0) + 1, value, lease);
        Insert(kv, deleted: false, prevId: row?.Id ?? 0);
        if (live is not null && live.Kv.Lease != 0 && live.Kv.Lease != lease)
        {
            Detach(put.Key, live.Kv.Lease);
        }

        if (lease != 0 && lease != live?.Kv.Lease)
        {
            Attach(put.Key, lease);
        }

        return new PutResult(put.PrevKv ? live?.Kv : null);
    }

    private DeleteResult Delete(DeleteOp delete)
    {
        List<StoredRow> rows = delete.Range.IsSingleKey
            ? SqliteReads.Latest(Db, Tx, delete.Range.Key, _revision) is { Deleted: false } single ? [single] : []
            : SqliteReads.LiveRows(Db, Tx, delete.Range, _revision);
        foreach (var row in rows)
        {
            Tombstone(row);
        }

        return new DeleteResult(rows.Count, delete.PrevKv ? rows.ConvertAll(r => r.Kv) : []);
    }

    private void Tombstone(StoredRow row)
    {
        Insert(new KeyValue(row.Kv.Key, 0, _revision, 0, [], 0), deleted: true, prevId: row.Id);
        if (row.Kv.Lease != 0)
        {
            Detach(row.Kv.Key, row.Kv.Lease);
        }
    }

    private void Insert(KeyValue kv, bool deleted, long prevId)
    {
        if (_sub >= EventId.MaxWritesPerRevision)
        {
            throw new StoreException(StoreError.TooManyOps, $"a transaction may change at most {EventId.MaxWritesPerRevision} keys");
        }

        using var command = Db.CreateCommand();
        command.Transaction = Tx;
        command.CommandText = "INSERT INTO kv (id, name, deleted, create_revision, prev_revision, version, lease, value) VALUES ($id, $name, $deleted, $create, $prev, $version, $lease, $value)";
        command.Parameters.AddWithValue("$id", EventId.Of(_revision, _sub++));
        command.Parameters.AddWithValue("$name", kv.Key);
        command.Parameters.AddWithValue("$deleted", deleted ? 1 : 0);
        command.Parameters.AddWithValue("$create", kv.CreateRevision);
        command.Parameters.AddWithValue("$prev", prevId);
        command.Parameters.AddWithValue("$version", kv.Version);
        command.Parameters.AddWithValue("$lease", kv.Lease);
        command.Parameters.AddWithValue("$value", kv.Value);
        command.ExecuteNonQuery();
    }

    private void Attach(byte[] key, long lease)
    {
        writer.Lessor.Attach(key, lease);
        writer.OnRollback(() => writer.Lessor.Detach(key, lease));
    }

    private void Detach(byte[] key, long lease)
    {
        writer.Lessor.Detach(key, lease);
        writer.OnRollback(() => writer.Lessor.Attach(key, lease));
    }
}
