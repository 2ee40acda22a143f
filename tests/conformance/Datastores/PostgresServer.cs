using K3sLab.Lab.Host;

namespace K3sLab.ConformanceTests.Datastores;

/// <summary>
/// A private PostgreSQL (<see cref="LocalPostgres"/>, fsync off: nothing here must survive a power loss) for one test
/// class.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = LocalPostgres.User;

    private LocalPostgres? _postgres;

    public int Port => Postgres.Port;

    public string Password => Postgres.Password;

    /// <summary>What the server logged, for failure messages.</summary>
    public string Log => _postgres?.Log ?? string.Empty;

    private LocalPostgres Postgres => _postgres ?? throw new InvalidOperationException("PostgresServer is not initialised");

    /// <summary>A k3s endpoint for <paramref name="database"/> as <see cref="User"/>, or with another password.</summary>
    public string Endpoint(string database, string? password = null) => Postgres.Endpoint(database, password);

    public async ValueTask InitializeAsync() => _postgres = await LocalPostgres.StartAsync(fsync: false);

    /// <summary>Runs SQL as the superuser over the private socket.</summary>
    public Task<string> PsqlAsync(string sql, string database = "postgres") => Postgres.PsqlAsync(sql, database);

    public Task StartAsync() => Postgres.StartAsync();

    /// <summary><c>pg_ctl restart -m fast</c>: every client connection is terminated, the server is back when this returns.</summary>
    public Task RestartAsync() => Postgres.RestartAsync();

    public Task StopAsync() => Postgres.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
