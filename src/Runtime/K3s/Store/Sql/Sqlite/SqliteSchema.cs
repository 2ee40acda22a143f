namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>
/// The on-disk shape, kine's event log with etcd's revision pairs: one row per change of a key (a put or a
/// delete tombstone) keyed by the packed revision <see cref="EventId"/>. <c>prev_revision</c> points at the key's
/// previous row, and UNIQUE (name, prev_revision) makes a second writer racing on the same version fail (the CAS
/// kine relies on for SQL engines shared by several servers). Leases and bookkeeping live in two small tables.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Bumped when the layout changes; a file with another version is refused rather than misread.</summary>
    public const long Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS kv (
            id INTEGER PRIMARY KEY,
            name BLOB NOT NULL,
            deleted INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            version INTEGER NOT NULL,
            lease INTEGER NOT NULL,
            value BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS kv_name ON kv (name);
        CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision);
        CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        """;

    /// <summary>
    /// The writer connection's settings. WAL lets readers run beside the writer; synchronous=FULL makes every commit
    /// durable (fsync of the WAL) before it is acknowledged; journal_size_limit truncates the WAL file after
    /// checkpoints so it cannot keep the high-water size of a burst. A large page cache keeps the indexes the writer
    /// looks up in memory, and memory-mapped reads replace a pread system call per page.
    /// </summary>
    public const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA journal_size_limit = 67108864;
        PRAGMA foreign_keys = OFF;
        PRAGMA temp_store = MEMORY;
        PRAGMA cache_size = -65536;
        PRAGMA mmap_size = 268435456;
        """;

    /// <summary>Reader connections' settings: memory-mapped reads and a modest page cache.</summary>
    public const string ReaderPragmas = """
        PRAGMA mmap_size = 268435456;
        PRAGMA cache_size = -16384;
        """;
}
