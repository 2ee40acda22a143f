using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sql.Sqlite;

/// <summary>
/// The default single-server datastore: the shared SQL store on one SQLite file. Opening checks the file, creates
/// the schema of a new one, and refuses another layout or a kine database with one sentence.
/// </summary>
internal static class SqliteStore
{
    /// <summary>Opens (creating if needed) the store at <see cref="SqliteStoreOptions.Path"/>; failures are one sentence.</summary>
    public static SqlStore Open(SqliteStoreOptions options, ILogger logger)
    {
        SqliteFile.Check(options.Path);
        var dialect = new SqliteDialect(options.Path);
        SqliteConnection? db = null;
        try
        {
            db = (SqliteConnection)dialect.OpenWriter();
            if (Exists(db, "kine"))
            {
                throw new StoreException(StoreError.Unavailable, $"{options.Path} holds a kine database, which this store does not read; point the endpoint at a new file");
            }

            SqlCommands.Execute(db, SqliteSchema.Create);
            var version = SqlCommands.ReadMeta(db, "schema_version");
            if (version is null)
            {
                SqlStore.InitializeMeta(db, SqliteSchema.Version);
            }
            else if (version != SqliteSchema.Version)
            {
                throw new StoreException(StoreError.Unavailable, $"{options.Path} has datastore layout {version}, this build reads layout {SqliteSchema.Version}");
            }

            return new SqlStore(options, dialect, db, SqlStore.ReadIdentity(db), logger);
        }
        catch (SqliteException e)
        {
            db?.Dispose();
            var error = SqliteErrors.ToStore(e);
            throw new StoreException(error.Error, $"cannot open the datastore {options.Path}: {error.Message}", e);
        }
        catch
        {
            db?.Dispose();
            throw;
        }
    }

    private static bool Exists(SqliteConnection db, string table)
    {
        using var command = SqlCommands.Create(db, null, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name").Bind("@name", table);
        return (long)command.ExecuteScalar()! > 0;
    }
}
