using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Etcd;
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

    /// <summary>Opens the store; the description names it for the log, with any secret redacted. An external cluster is waited for (bounded).</summary>
    public static async Task<(IRevisionedStore Store, string Description)> OpenAsync(ServerSettings settings, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var endpoint = settings.DatastoreEndpoint;
        switch (endpoint is null ? DatastoreKind.Sqlite : KindOf(endpoint))
        {
            case DatastoreKind.Sqlite:
                var path = endpoint is null ? settings.DataDir.SqliteDatabase : SqliteFile.PathFromEndpoint(endpoint);
                return (SqliteStore.Open(new SqliteStoreOptions(path), loggers.CreateLogger("k3s.datastore")), path);
            case DatastoreKind.Etcd:
                var etcd = new EtcdClientOptions(EtcdEndpointList.Parse(endpoint!))
                {
                    CaFile = settings.DatastoreTls.CaFile,
                    CertFile = settings.DatastoreTls.CertFile,
                    KeyFile = settings.DatastoreTls.KeyFile,
                    MembershipRefresh = settings.DisableEtcd ? Embedded.ClusterEtcdClient.MembershipRefresh : TimeSpan.Zero,
                };
                return (await EtcdClientStore.ConnectAsync(etcd, loggers.CreateLogger("k3s.datastore"), cancellationToken).ConfigureAwait(false), $"etcd {etcd.Endpoints.Describe()}");
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
