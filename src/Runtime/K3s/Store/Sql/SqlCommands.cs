using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

/// <summary>The small ADO.NET helpers every statement uses, in the one parameter style both engines read (<c>@name</c>).</summary>
internal static class SqlCommands
{
    public static DbCommand Create(DbConnection db, DbTransaction? tx, string sql)
    {
        var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    public static DbCommand Bind(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static int Execute(DbConnection db, string sql, DbTransaction? tx = null)
    {
        using var command = Create(db, tx, sql);
        return command.ExecuteNonQuery();
    }

    public static long? ReadMeta(DbConnection db, string key, DbTransaction? tx = null)
    {
        using var command = Create(db, tx, "SELECT value FROM meta WHERE key = @key").Bind("@key", key);
        return command.ExecuteScalar() is long value ? value : null;
    }

    public static void WriteMeta(DbConnection db, string key, long value, DbTransaction? tx = null)
    {
        using var command = Create(db, tx, "INSERT INTO meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .Bind("@key", key).Bind("@value", value);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The database's revision: the newest row's, or the compacted revision when compaction removed the newest rows
    /// (tombstones); every revision above the compacted one keeps at least one row, so this is exact.
    /// </summary>
    public static (long Revision, long CompactRevision) ReadRevision(DbConnection db, DbTransaction? tx)
    {
        using var command = Create(db, tx, "SELECT (SELECT COALESCE(MAX(id), 0) FROM kv), (SELECT COALESCE(MAX(value), 0) FROM meta WHERE key = 'compact_revision')");
        using var reader = command.ExecuteReader();
        reader.Read();
        var compact = reader.GetInt64(1);

        // An empty etcd is at revision 1 and its first write makes revision 2; so is this store.
        return (Math.Max(Math.Max(EventId.RevisionOf(reader.GetInt64(0)), compact), 1), compact);
    }
}
