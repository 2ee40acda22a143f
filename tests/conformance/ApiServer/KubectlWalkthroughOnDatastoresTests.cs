using K3sLab.ConformanceTests.Datastore;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>A <c>k3s server</c> whose datastore is a private PostgreSQL (<c>--datastore-endpoint postgres://...</c>).</summary>
public sealed class K3sServerOnPostgres : IAsyncLifetime, IApiTarget
{
    private LocalPostgres? _postgres;
    private K3sServerProcess? _server;

    public string Kubeconfig => Server.Kubeconfig;

    public DirectoryInfo Root => Server.Root;

    public string Log => $"{Server.Log}\n--- PostgreSQL\n{_postgres?.Log}";

    private K3sServerProcess Server => _server ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        _postgres = await LocalPostgres.StartAsync(fsync: false);
        _server = K3sServerProcess.With("--datastore-endpoint", _postgres.Endpoint("k3s_walk"));
        await _server.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}

/// <summary>A <c>k3s server</c> whose datastore is a real etcd 3.4 of three members (<c>--datastore-endpoint http://...</c>).</summary>
public sealed class K3sServerOnEtcd : IAsyncLifetime, IApiTarget
{
    private EtcdCluster? _etcd;
    private K3sServerProcess? _server;

    public string Kubeconfig => Server.Kubeconfig;

    public DirectoryInfo Root => Server.Root;

    public string Log => $"{Server.Log}\n--- etcd\n{_etcd?.Logs}";

    private K3sServerProcess Server => _server ?? throw new InvalidOperationException("not initialised");

    public async ValueTask InitializeAsync()
    {
        _etcd = await EtcdCluster.StartAsync(3, tls: false, CancellationToken.None);
        _server = K3sServerProcess.With("--datastore-endpoint", _etcd.ClientUrls);
        await _server.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}

/// <summary>The kubectl walkthrough, unchanged, against a server on a real PostgreSQL (issue 12: every datastore passes the API suite).</summary>
[Trait("Category", "Conformance")]
public sealed class KubectlWalkthroughOnPostgresTests(K3sServerOnPostgres server) : KubectlWalkthroughSuite(server), IClassFixture<K3sServerOnPostgres>;

/// <summary>The kubectl walkthrough, unchanged, against a server on a real 3-member etcd 3.4.</summary>
[Trait("Category", "Conformance")]
public sealed class KubectlWalkthroughOnEtcdTests(K3sServerOnEtcd server) : KubectlWalkthroughSuite(server), IClassFixture<K3sServerOnEtcd>;
