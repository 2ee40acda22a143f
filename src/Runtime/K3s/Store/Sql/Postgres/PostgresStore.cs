using System.Data.Common;
using Npgsql;

namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>
/// Opens the shared SQL store on PostgreSQL: parses the endpoint, connects (retrying while the server is
/// unreachable, up to <see cref="PostgresStoreOptions.StartupTimeout"/>), creates the database when it is missing
/// and the user may (as kine does), then creates or checks the schema under the writers' lock so that servers
/// starting together do not race. Every failure is one sentence naming the endpoint with its password redacted.
/// </summary>
internal static partial class PostgresStore
{
    private const long SchemaLock = 0x6B33736C6162;

    public static SqlStore Open(PostgresStoreOptions options, ILogger logger)
    {
        PostgresEndpoint endpoint;
        try
        {
            endpoint = PostgresEndpoint.Parse(options.Endpoint);
        }
        catch (FormatException e)
        {
            throw new StoreException(StoreError.NotSupported, e.Message, e);
        }

        var dialect = new PostgresDialect(endpoint);
        DbConnection? db = null;
        try
        {
            db = Connect(dialect, options, logger);
            var identity = EnsureSchema(db, endpoint);
            LogOpened(logger, endpoint.Redacted);
            return new SqlStore(options, dialect, db, identity, logger);
        }
        catch (DbException e)
        {
            db?.Dispose();
            dialect.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var error = dialect.ToStore(e);
            throw new StoreException(error.Error, $"cannot open the datastore: {error.Message}", e);
        }
        catch (StoreException e)
        {
            db?.Dispose();
            dialect.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new StoreException(e.Error, $"cannot open the datastore {endpoint.Redacted}: {e.Message}", e);
        }
    }

    /// <summary>Opens the writer's first connection, creating the database if it is missing; retries only while the server is unreachable.</summary>
    private static DbConnection Connect(PostgresDialect dialect, PostgresStoreOptions options, ILogger logger)
    {
        var deadline = options.Time.GetUtcNow() + options.StartupTimeout;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return dialect.OpenWriter();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrors.InvalidCatalogName)
            {
                CreateDatabase(dialect.Endpoint, logger);
            }
            catch (DbException e) when (dialect.Classify(e) == SqlFailure.ConnectionLost && options.Time.GetUtcNow() + delay < deadline)
            {
                LogWaiting(logger, dialect.Endpoint.Redacted, e.Message);
                dialect.ConnectionLost();
                Thread.Sleep(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(4).Ticks));
            }
        }
    }

    /// <summary>kine's behaviour: a missing database is created through the <c>postgres</c> maintenance database.</summary>
    private static void CreateDatabase(PostgresEndpoint endpoint, ILogger logger)
    {
        using var source = new NpgsqlSlimDataSourceBuilder(PostgresDialect.ConnectionString(endpoint, "postgres") + ";Pooling=false").Build();
        using var db = source.OpenConnection();
        try
        {
            SqlCommands.Execute(db, $"CREATE DATABASE \"{endpoint.Database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
            LogCreatedDatabase(logger, endpoint.Database, endpoint.Redacted);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrors.DuplicateDatabase)
        {
            // Another server created it first.
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrors.InsufficientPrivilege)
        {
            throw new StoreException(StoreError.Unavailable, $"the database '{endpoint.Database}' does not exist and user '{endpoint.User}' may not create it ({e.MessageText}): create it, or grant the user CREATEDB", e);
        }
    }

    /// <summary>Creates the tables of a new database or checks those of an existing one, under the writers' lock.</summary>
    private static SqlStore.StoreIdentity EnsureSchema(DbConnection db, PostgresEndpoint endpoint)
    {
        using (var tx = db.BeginTransaction())
        {
            SqlCommands.Execute(db, $"SELECT pg_advisory_xact_lock({SchemaLock})", tx);
            var tables = Tables(db, tx);
            long? layout = tables.ContainsKey("meta") ? SqlCommands.ReadMeta(db, "schema_version", tx) : null;
            if (PostgresSchema.Mismatch(tables, layout) is { } why)
            {
                throw new StoreException(StoreError.Unavailable, $"database '{endpoint.Database}' cannot be used: {why}");
            }

            SqlCommands.Execute(db, PostgresSchema.Create, tx);
            if (layout is null)
            {
                SqlStore.InitializeMeta(db, PostgresSchema.Version, tx);
            }

            tx.Commit();
        }

        return SqlStore.ReadIdentity(db);
    }

    /// <summary>The tables of the connection's current schema, each with its columns in order, comma-separated; from the catalog, which lists tables the user may not read too.</summary>
    private static Dictionary<string, string> Tables(DbConnection db, DbTransaction tx)
    {
        using var command = SqlCommands.Create(db, tx, """
            SELECT c.relname::text, string_agg(a.attname::text, ',' ORDER BY a.attnum)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
            GROUP BY c.relname
            """);
        using var reader = command.ExecuteReader();
        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            tables[reader.GetString(0)] = reader.GetString(1);
        }

        return tables;
    }

    [LoggerMessage(EventId = 4560, Level = LogLevel.Information, Message = "Datastore: PostgreSQL at {Endpoint}")]
    private static partial void LogOpened(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 4561, Level = LogLevel.Warning, Message = "Waiting for PostgreSQL at {Endpoint}: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 4562, Level = LogLevel.Information, Message = "Created database {Database} at {Endpoint}")]
    private static partial void LogCreatedDatabase(ILogger logger, string database, string endpoint);
}
