namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>A PostgreSQL datastore: the endpoint as given to <c>--datastore-endpoint</c>, and the engine-neutral settings.</summary>
internal sealed record PostgresStoreOptions(string Endpoint) : SqlStoreOptions
{
    /// <summary>How long opening keeps retrying while the server cannot be reached (it may be starting too); wrong credentials fail at once.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
