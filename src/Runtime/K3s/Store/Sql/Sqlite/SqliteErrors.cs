using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>Turns SQLite's result codes into the store's typed errors, with a sentence that says what to do.</summary>
internal static class SqliteErrors
{
    private const int Full = 13;
    private const int ReadOnly = 8;
    /// <summary>SQLITE_IOERR, the primary code of every I/O error (write, fsync, read, truncate...).</summary>
    public const int IoErr = 10;
    private const int Corrupt = 11;
    private const int NotADb = 26;
    private const int Busy = 5;

    public static StoreException ToStore(SqliteException e) => e.SqliteErrorCode switch
    {
        Full => new StoreException(StoreError.NoSpace, "the disk holding the datastore is full; nothing from the failed writes was stored. Free space and retry", e),
        ReadOnly => new StoreException(StoreError.Unavailable, "the datastore file is read-only; nothing from the failed writes was stored. Make it writable and restart", e),
        IoErr => new StoreException(StoreError.Unavailable, $"the disk failed a read or write of the datastore ({e.Message}); nothing from the failed writes was stored", e),
        Corrupt or NotADb => new StoreException(StoreError.Unavailable, $"the datastore file is damaged ({e.Message}); restore it from a snapshot", e),
        Busy => new StoreException(StoreError.Unavailable, "another process holds the datastore file locked; only one server may use a SQLite datastore", e),
        _ => new StoreException(StoreError.Unavailable, $"SQLite failed: {e.Message}", e),
    };
}
