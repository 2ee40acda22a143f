using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>
/// SQLite under the shared SQL store: one file, one server. The single writer is one connection held for the
/// store's life, so its in-memory revision is the truth and no lock is needed; readers open pooled connections in
/// WAL mode and read inside deferred transactions (a snapshot from their first read). Housekeeping truncates the
/// WAL after compaction.
/// </summary>
internal sealed class SqliteDialect(string path) : SqlDialect
{
    /// <summary>The WAL size above which the store truncates it without waiting for a compaction.</summary>
    private const long WalTruncateBytes = 64L * 1024 * 1024;

    private readonly string _writeConnection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
    private readonly string _readConnection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = true, DefaultTimeout = 30 }.ToString();

    public override string Engine => "SQLite";

    public override string Description => path;

    public override bool Shared => false;

    public override TimeSpan PollInterval => TimeSpan.FromSeconds(1);

    public override DbConnection OpenWriter()
    {
        var db = new SqliteConnection(_writeConnection);
        try
        {
            db.Open();
            SqlCommands.Execute(db, SqliteSchema.Pragmas);
            if (PlantedBugs.AckBeforeFsync)
            {
                SqlCommands.Execute(db, "PRAGMA synchronous = OFF;");
            }

            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public override DbConnection OpenReader()
    {
        var db = new SqliteConnection(_readConnection);
        try
        {
            db.Open();
            SqlCommands.Execute(db, SqliteSchema.ReaderPragmas);
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public override DbTransaction BeginRead(DbConnection db) => ((SqliteConnection)db).BeginTransaction(deferred: true);

    public override DbTransaction BeginWrite(DbConnection db, bool serializable) => db.BeginTransaction();

    public override void LockWriters(DbConnection db, DbTransaction tx)
    {
    }

    /// <summary>Nothing SQLite reports is worth running a batch again for: busy means another process holds the file.</summary>
    public override SqlFailure Classify(DbException e) => SqlFailure.Fatal;

    /// <summary>
    /// An I/O error while committing: in WAL mode a commit appends its pages and a commit frame to the WAL, then
    /// syncs it. When the write or the sync fails, SQLite rolls the transaction back in memory, but the frames may
    /// reach the disk anyway, and recovery after a restart replays every complete commit it finds in the WAL.
    /// </summary>
    public override bool CommitMayHaveLanded(DbException e) => e is SqliteException { SqliteErrorCode: SqliteErrors.IoErr };

    public override StoreException ToStore(DbException e) =>
        e is SqliteException s ? SqliteErrors.ToStore(s) : new StoreException(StoreError.Unavailable, $"SQLite failed: {e.Message}", e);

    public override void ConnectionLost()
    {
    }

    public override (long Size, long InUse) Sizes(DbConnection db)
    {
        using var command = SqlCommands.Create(db, null, "SELECT page_count * page_size, (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()");
        using var reader = command.ExecuteReader();
        reader.Read();
        var wal = new FileInfo(path + "-wal");
        return (new FileInfo(path).Length + (wal.Exists ? wal.Length : 0), reader.GetInt64(1));
    }

    /// <summary>SQLite's VACUUM INTO, taken inside one read snapshot, then streamed.</summary>
    public override async Task SnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        var copy = Path.Combine(Path.GetDirectoryName(path)!, $".snapshot-{Guid.NewGuid():N}.db");
        try
        {
            using (var db = OpenReader())
            using (var command = SqlCommands.Create(db, null, "VACUUM INTO @path").Bind("@path", copy))
            {
                command.ExecuteNonQuery();
            }

            await using var file = File.OpenRead(copy);
            await file.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.ToStore(e);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    /// <summary>
    /// After a compaction deleted rows; and whenever the WAL outgrew its limit, because under a steady write load
    /// SQLite's own checkpoints copy pages but can never restart the WAL while readers come and go, so the file
    /// only grows (k3s#10396): truncate it ourselves.
    /// </summary>
    public override bool WantsCheckpoint(long deletedRows)
    {
        if (deletedRows > 0)
        {
            return true;
        }

        var wal = new FileInfo(path + "-wal");
        return wal.Exists && wal.Length > WalTruncateBytes;
    }

    /// <summary>Copies the WAL into the database and truncates it, waiting at most briefly for readers.</summary>
    public override bool Checkpoint(DbConnection db)
    {
        using var command = SqlCommands.Create(db, null, "PRAGMA busy_timeout = 2000; PRAGMA wal_checkpoint(TRUNCATE);");
        using var reader = command.ExecuteReader();

        // busy_timeout answers a row, then wal_checkpoint answers (busy, log pages, checkpointed pages).
        reader.NextResult();
        return reader.Read() && reader.GetInt64(0) == 0;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
