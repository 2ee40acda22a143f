using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// Applies one transaction on the writer's connection inside the running batch: evaluates the compares at the
/// writer's revision, runs the chosen branch, and writes every change at one new revision with increasing
/// sub-revisions, as etcd does. Reads inside the transaction see its own earlier writes.
/// </summary>
internal sealed class TxnApplier(SqlWriter writer)
{
    private long _revision;
    private int _sub;

    private DbCommand? _latest;
    private DbCommand? _insert;

    private DbConnection Db => writer.Db;

    private DbTransaction? Tx => writer.Transaction;

    /// <summary>Checked before the compare: reads of older revisions fail as in etcd.</summary>
    public Func<long> CompactRevision { get; set; } = () => 0;

    /// <summary>Forgets the prepared statements of a lost connection.</summary>
    public void Reset()
    {
        _latest?.Dispose();
        _insert?.Dispose();
        _latest = null;
        _insert = null;
    }

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
            if (LatestRow(key, _revision) is { Deleted: false } row)
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
            return LatestRow(range.Key, ReadRevision) is { Deleted: false } row ? [row.Kv] : [];
        }

        return SqlReads.Live(Db, Tx, range, ReadRevision);
    }

    private RangeResult Range(RangeQuery query)
    {
        var at = query.Revision > 0 ? query.Revision : ReadRevision;
        ReadChecks.Check(at, ReadRevision, CompactRevision());
        return SqlReads.Range(Db, Tx, query, at) with { Revision = ReadRevision };
    }

    private PutResult Put(PutOp put)
    {
        var row = LatestRow(put.Key, _revision);
        var live = row is { Deleted: false } ? row : null;
        if ((put.IgnoreValue || put.IgnoreLease) && live is null)
        {
            throw new StoreException(StoreError.KeyNotFound, "ignore_value or ignore_lease needs a key that exists");
        }

        var value = put.IgnoreValue ? live!.Kv.Value : put.Value;
        var lease = put.IgnoreLease ? live!.Kv.Lease : put.Lease;
        if (lease != 0 && !writer.LeaseKnown(lease))
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
            ? LatestRow(delete.Range.Key, _revision) is { Deleted: false } single ? [single] : []
            : SqlReads.LiveRows(Db, Tx, delete.Range, _revision);
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

        // Prepared once and re-bound: the writer's hot path.
        var command = _insert ??= Prepare(
            "INSERT INTO kv (id, name, deleted, create_revision, prev_revision, version, lease, value) VALUES (@id, @name, @deleted, @create, @prev, @version, @lease, @value)",
            "@id", "@name", "@deleted", "@create", "@prev", "@version", "@lease", "@value");
        command.Transaction = Tx;
        var p = command.Parameters;
        p[0].Value = EventId.Of(_revision, _sub++);
        p[1].Value = kv.Key;
        p[2].Value = deleted ? 1L : 0L;
        p[3].Value = kv.CreateRevision;
        p[4].Value = prevId;
        p[5].Value = kv.Version;
        p[6].Value = kv.Lease;
        p[7].Value = kv.Value;
        command.ExecuteNonQuery();
    }

    /// <summary>The newest row of a key as of a revision, through a prepared statement.</summary>
    private StoredRow? LatestRow(byte[] key, long atRevision)
    {
        var command = _latest ??= Prepare("SELECT id, deleted, create_revision, version, lease, value FROM kv WHERE name = @k AND id < @bound ORDER BY id DESC LIMIT 1", "@k", "@bound");
        command.Transaction = Tx;
        command.Parameters[0].Value = key;
        command.Parameters[1].Value = EventId.FirstOf(atRevision + 1);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var id = reader.GetInt64(0);
        return new StoredRow(id, reader.GetInt64(1) != 0, new KeyValue(key, reader.GetInt64(2), EventId.RevisionOf(id), reader.GetInt64(3), (byte[])reader.GetValue(5), reader.GetInt64(4)));
    }

    private DbCommand Prepare(string sql, params string[] parameters)
    {
        var command = Db.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }

        return command;
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
