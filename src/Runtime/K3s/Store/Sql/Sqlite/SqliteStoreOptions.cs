namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>A SQLite datastore: the database file, and the engine-neutral settings.</summary>
internal sealed record SqliteStoreOptions(string Path) : SqlStoreOptions;
