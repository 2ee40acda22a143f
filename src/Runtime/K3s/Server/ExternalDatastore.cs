using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql.Postgres;
using K3sLab.K3s.Store.Sql.Sqlite;

namespace K3sLab.K3s.Server;

/// <summary>
/// Opens the datastore a server uses when it runs no embedded store: SQLite in the data dir by default, or the engine
/// <c>--datastore-endpoint</c> names by its scheme, as k3s reads it: <c>sqlite://path</c>, <c>http(s)://host:port</c>
/// (an external etcd cluster; a comma-separated list), <c>postgres://user:password@host:port/db</c>.
/// </summary>
internal static class ExternalDatastore
{
    /// <summary>The engine an endpoint names, from its scheme; null for a scheme this build does not know.</summary>
    public static DatastoreKind? KindOf(string endpoint)
    {
        var scheme = endpoint.Split("://", 2)[0].ToLowerInvariant();
        return scheme switch
        {
            "sqlite" => DatastoreKind.Sqlite,
            "http" or "https" => DatastoreKind.Etcd,
            "postgres" or "postgresql" => DatastoreKind.Postgres,
            _ => null,
        };
    }

    /// <summary>Opens the store; the description names it for the log, with any secret redacted.</summary>
    public static (IRevisionedStore Store, string Description) Open(ServerSettings settings, ILoggerFactory loggers)
    {
        var endpoint = settings.DatastoreEndpoint;
        switch (endpoint is null ? DatastoreKind.Sqlite : KindOf(endpoint))
        {
            case DatastoreKind.Sqlite:
                var path = endpoint is null ? settings.DataDir.SqliteDatabase : SqliteFile.PathFromEndpoint(endpoint);
                return (SqliteStore.Open(new SqliteStoreOptions(path), loggers.CreateLogger("k3s.datastore")), path);
            case DatastoreKind.Etcd:
                throw new StoreException(StoreError.NotSupported, "--datastore-endpoint http(s)://...: external etcd datastores are not supported by this build yet");
            case DatastoreKind.Postgres:
                var postgres = PostgresStore.Open(new PostgresStoreOptions(endpoint!), loggers.CreateLogger("k3s.datastore"));
                return (postgres, postgres.Description);
            default:
                throw new StoreException(StoreError.NotSupported, $"--datastore-endpoint {endpoint!.Split("://")[0]}://...: unknown datastore; use sqlite://, http(s):// (etcd) or postgres://");
        }
    }
}

/// <summary>The datastore engines <c>--datastore-endpoint</c> can name.</summary>
internal enum DatastoreKind
{
    Sqlite,
    Etcd,
    Postgres,
}
