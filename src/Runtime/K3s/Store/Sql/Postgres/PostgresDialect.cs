using System.Data;
using System.Data.Common;
using Npgsql;

namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>
/// PostgreSQL under the shared SQL store, through a pooled Npgsql data source (the slim builder: NativeAOT-safe).
/// Several k3s servers may share the database, so writers take turns on one advisory lock: a write batch takes it
/// as its first statement (a transaction lock, released by the commit) and then reads the database's revision, so
/// revisions stay dense and in commit order whichever server writes. Compaction runs SERIALIZABLE under the same
/// lock, taken at session level before the transaction begins so that its snapshot starts after the lock. Reads
/// run in REPEATABLE READ snapshots. A lost connection clears the pool; the next request opens a new one.
/// </summary>
internal sealed class PostgresDialect : SqlDialect
{
    /// <summary>The advisory lock key of the store's writers ("k3slab" in ASCII).</summary>
    private const long WritersLock = 0x6B33736C6162;

    private readonly NpgsqlDataSource _source;

    public PostgresDialect(PostgresEndpoint endpoint, string? database = null)
    {
        Endpoint = endpoint;
        _source = new NpgsqlSlimDataSourceBuilder(ConnectionString(endpoint, database)).Build();
    }

    public PostgresEndpoint Endpoint { get; }

    public override string Engine => "PostgreSQL";

    public override string Description => Endpoint.Redacted;

    public override bool Shared => true;

    public override TimeSpan PollInterval => TimeSpan.FromMilliseconds(250);

    public override string InsertLeaseSql => "INSERT INTO lease (id, ttl, expires_at) VALUES (@id, @ttl, @expires)";

    /// <summary>The Npgsql connection string of the endpoint (against <paramref name="database"/> when given).</summary>
    public static string ConnectionString(PostgresEndpoint endpoint, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            Username = endpoint.User,
            Password = endpoint.Password,
            Database = database ?? endpoint.Database,
            Pooling = true,
            MaxPoolSize = 32,
            Timeout = endpoint.ConnectTimeout ?? 5,
            CommandTimeout = 60,
            ApplicationName = "k3s",
        };
        if (endpoint.SslMode is { } mode)
        {
            builder.SslMode = mode switch
            {
                "disable" => SslMode.Disable,
                "allow" => SslMode.Allow,
                "prefer" => SslMode.Prefer,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                _ => SslMode.VerifyFull,
            };
        }

        builder.RootCertificate = endpoint.SslRootCert;
        builder.SslCertificate = endpoint.SslCert;
        builder.SslKey = endpoint.SslKey;
        return builder.ConnectionString;
    }

    public override DbConnection OpenWriter() => _source.OpenConnection();

    public override DbConnection OpenReader() => _source.OpenConnection();

    public override DbTransaction BeginRead(DbConnection db) => db.BeginTransaction(IsolationLevel.RepeatableRead);

    public override DbTransaction BeginWrite(DbConnection db, bool serializable)
    {
        if (!serializable)
        {
            return db.BeginTransaction(IsolationLevel.ReadCommitted);
        }

        // A serializable snapshot starts with the transaction's first statement: wait for the lock before it.
        SqlCommands.Execute(db, $"SELECT pg_advisory_lock({WritersLock})");
        return db.BeginTransaction(IsolationLevel.Serializable);
    }

    public override void LockWriters(DbConnection db, DbTransaction tx)
    {
        if (tx.IsolationLevel != IsolationLevel.Serializable)
        {
            SqlCommands.Execute(db, $"SELECT pg_advisory_xact_lock({WritersLock})", tx);
        }
    }

    public override void EndWrite(DbConnection db, bool serializable)
    {
        if (serializable && db.State == ConnectionState.Open)
        {
            SqlCommands.Execute(db, $"SELECT pg_advisory_unlock({WritersLock})");
        }
    }

    public override SqlFailure Classify(DbException e) => e switch
    {
        PostgresException pg => PostgresErrors.Classify(pg.SqlState),
        NpgsqlException => SqlFailure.ConnectionLost,
        _ => SqlFailure.Fatal,
    };

    public override StoreException ToStore(DbException e)
    {
        var (error, message) = PostgresErrors.Describe(SqlStateOf(e), e.Message, Endpoint.Redacted);
        return new StoreException(error, message, e);
    }

    /// <summary>The SQLSTATE of a server error; null for a failure that never reached the server.</summary>
    public static string? SqlStateOf(DbException e) => e is PostgresException pg ? pg.SqlState : null;

    public override void ConnectionLost() => _source.Clear();

    public override (long Size, long InUse) Sizes(DbConnection db)
    {
        using var command = SqlCommands.Create(db, null, "SELECT pg_database_size(current_database()), pg_total_relation_size('kv') + pg_total_relation_size('lease') + pg_total_relation_size('meta')");
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public override Task SnapshotAsync(Stream destination, CancellationToken cancellationToken) =>
        throw new StoreException(StoreError.NotSupported, $"snapshots of a PostgreSQL datastore ({Endpoint.Redacted}) are taken with PostgreSQL's own tools (pg_dump), not through the etcd API");

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
