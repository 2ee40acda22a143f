using System.Globalization;
using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// The read queries of the event log, shared by readers and by the writer (which sees its own uncommitted rows).
/// "As of revision R" means: per key, the newest row with an id below the first id of R + 1, if it is not a
/// tombstone.
/// </summary>
internal static class SqlReads
{
    /// <summary>The newest row of a key, tombstone or not; null when the key has no history.</summary>
    public static StoredRow? Latest(DbConnection db, DbTransaction? tx, byte[] key, long atRevision)
    {
        using var command = SqlCommands.Create(db, tx, "SELECT id, deleted, create_revision, version, lease, value FROM kv WHERE name = @k AND id < @bound ORDER BY id DESC LIMIT 1")
            .Bind("@k", key).Bind("@bound", EventId.FirstOf(atRevision + 1));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new StoredRow(reader.GetInt64(0), reader.GetInt64(1) != 0, new KeyValue(key, reader.GetInt64(2), EventId.RevisionOf(reader.GetInt64(0)), reader.GetInt64(3), (byte[])reader.GetValue(5), reader.GetInt64(4)));
    }

    /// <summary>The live keys of a range as of a revision, in key order, with etcd's limit, count and keys-only options.</summary>
    public static RangeResult Range(DbConnection db, DbTransaction? tx, RangeQuery query, long atRevision)
    {
        if (query.Range.IsSingleKey)
        {
            var row = Latest(db, tx, query.Range.Key, atRevision);
            var found = row is { Deleted: false } ? row.Kv : null;
            IReadOnlyList<KeyValue> kvs = found is null || query.CountOnly ? [] : [query.KeysOnly ? found with { Value = [] } : found];
            if (found is not null && !query.CountOnly)
            {
                var shaped = RangeShaping.Shape(query, kvs);
                return new RangeResult(atRevision, shaped.Kvs, shaped.More, 1);
            }

            return new RangeResult(atRevision, kvs, false, found is null ? 0 : 1);
        }

        if (query.CountOnly)
        {
            return new RangeResult(atRevision, [], false, Count(db, tx, query.Range, atRevision));
        }

        var pushLimit = query.NeedsFullScan || query.Limit <= 0 ? 0 : query.Limit + 1;
        var all = Live(db, tx, query.Range, atRevision, pushLimit, query.KeysOnly);
        if (query.NeedsFullScan)
        {
            var shaped = RangeShaping.Shape(query, all);
            return new RangeResult(atRevision, shaped.Kvs, shaped.More, all.Count);
        }

        if (pushLimit > 0 && all.Count > query.Limit)
        {
            all.RemoveRange((int)query.Limit, all.Count - (int)query.Limit);
            return new RangeResult(atRevision, all, true, Count(db, tx, query.Range, atRevision));
        }

        return new RangeResult(atRevision, all, false, all.Count);
    }

    /// <summary>Every live key of a range as of a revision, in key order; <paramref name="limit"/> 0 means all.</summary>
    public static List<KeyValue> Live(DbConnection db, DbTransaction? tx, KeyRange range, long atRevision, long limit = 0, bool keysOnly = false) =>
        LiveRows(db, tx, range, atRevision, limit, keysOnly).ConvertAll(r => r.Kv);

    /// <summary>As <see cref="Live"/>, with each key's row id.</summary>
    public static List<StoredRow> LiveRows(DbConnection db, DbTransaction? tx, KeyRange range, long atRevision, long limit = 0, bool keysOnly = false)
    {
        using var command = SqlCommands.Create(db, tx, string.Empty);
        var value = keysOnly ? "@empty" : "kv.value";
        var limitClause = limit > 0 ? " LIMIT " + limit.ToString(CultureInfo.InvariantCulture) : string.Empty;
        command.CommandText = $"""
            SELECT kv.id, kv.name, kv.create_revision, kv.version, kv.lease, {value}
            FROM kv JOIN (SELECT MAX(id) AS mid FROM kv WHERE {NameCondition(range)} AND id < @bound GROUP BY name) m ON kv.id = m.mid
            WHERE kv.deleted = 0 ORDER BY kv.name{limitClause}
            """;
        Bind(command, range, atRevision);
        if (keysOnly)
        {
            command.Bind("@empty", Array.Empty<byte>());
        }

        using var reader = command.ExecuteReader();
        var rows = new List<StoredRow>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            rows.Add(new StoredRow(id, false, new KeyValue((byte[])reader.GetValue(1), reader.GetInt64(2), EventId.RevisionOf(id), reader.GetInt64(3), (byte[])reader.GetValue(5), reader.GetInt64(4))));
        }

        return rows;
    }

    public static long Count(DbConnection db, DbTransaction? tx, KeyRange range, long atRevision)
    {
        using var command = SqlCommands.Create(db, tx, string.Empty);
        command.CommandText = $"""
            SELECT COUNT(*) FROM kv JOIN (SELECT MAX(id) AS mid FROM kv WHERE {NameCondition(range)} AND id < @bound GROUP BY name) m ON kv.id = m.mid
            WHERE kv.deleted = 0
            """;
        Bind(command, range, atRevision);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// The changes with revisions in [<paramref name="fromRevision"/>, <paramref name="toRevision"/>], each with the
    /// key's previous live version, in revision order, and the revision through which the answer is complete: at
    /// most about <paramref name="maxRows"/> rows, but never part of a revision.
    /// </summary>
    public static (List<StoredEvent> Events, long Through) Events(DbConnection db, long fromRevision, long toRevision, int maxRows)
    {
        var events = ReadRows(db, EventId.FirstOf(fromRevision), EventId.FirstOf(toRevision + 1), maxRows);
        if (events.Count < maxRows)
        {
            return (events, toRevision);
        }

        var last = events[^1].Revision;
        if (events[0].Revision != last)
        {
            // Do not hand out a revision half: drop the last one, it is read whole next time.
            events.RemoveAll(e => e.Revision == last);
            return (events, last - 1);
        }

        // One revision with more rows than the page: read it whole.
        return (ReadRows(db, EventId.FirstOf(last), EventId.FirstOf(last + 1), int.MaxValue), last);
    }

    private static List<StoredEvent> ReadRows(DbConnection db, long fromId, long toId, int maxRows)
    {
        using var command = SqlCommands.Create(db, null, """
            SELECT e.id, e.name, e.deleted, e.create_revision, e.version, e.lease, e.value,
                   p.id, p.deleted, p.create_revision, p.version, p.lease, p.value
            FROM kv e LEFT JOIN kv p ON p.id = e.prev_revision
            WHERE e.id >= @from AND e.id < @to ORDER BY e.id LIMIT @max
            """).Bind("@from", fromId).Bind("@to", toId).Bind("@max", (long)maxRows);
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            var key = (byte[])reader.GetValue(1);
            var deleted = reader.GetInt64(2) != 0;
            var kv = deleted
                ? new KeyValue(key, 0, EventId.RevisionOf(id), 0, [], 0)
                : new KeyValue(key, reader.GetInt64(3), EventId.RevisionOf(id), reader.GetInt64(4), (byte[])reader.GetValue(6), reader.GetInt64(5));
            KeyValue? prev = null;
            if (!reader.IsDBNull(7) && reader.GetInt64(8) == 0)
            {
                prev = new KeyValue(key, reader.GetInt64(9), EventId.RevisionOf(reader.GetInt64(7)), reader.GetInt64(10), (byte[])reader.GetValue(12), reader.GetInt64(11));
            }

            events.Add(new StoredEvent(EventId.RevisionOf(id), new WatchEvent(deleted, kv, prev)));
        }

        return events;
    }

    private static string NameCondition(KeyRange range) =>
        range.IsEverything ? "1 = 1" : range.IsOpenEnded ? "name >= @k" : "name >= @k AND name < @e";

    private static void Bind(DbCommand command, KeyRange range, long atRevision)
    {
        if (!range.IsEverything)
        {
            command.Bind("@k", range.Key);
        }

        if (!range.IsEverything && !range.IsOpenEnded)
        {
            command.Bind("@e", range.End);
        }

        command.Bind("@bound", EventId.FirstOf(atRevision + 1));
    }
}

/// <summary>A key's newest row: its id, whether it is a tombstone, and the version it holds.</summary>
internal sealed record StoredRow(long Id, bool Deleted, KeyValue Kv);
