namespace K3sLab.K3s.Store.Sql.Postgres;

/// <summary>
/// The PostgreSQL spelling of the store's tables (the same event log as SQLite's: one row per change keyed by the
/// packed revision, UNIQUE (name, prev_revision) as kine's guard against two writers extending one version), and
/// the columns a database must have for this build to use it. Leases also record their expiry, which servers
/// sharing the database renew and read.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Bumped when the layout changes; a database with another version is refused rather than misread.</summary>
    public const long Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS kv (
            id BIGINT PRIMARY KEY,
            name BYTEA NOT NULL,
            deleted BIGINT NOT NULL,
            create_revision BIGINT NOT NULL,
            prev_revision BIGINT NOT NULL,
            version BIGINT NOT NULL,
            lease BIGINT NOT NULL,
            value BYTEA NOT NULL);
        CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
        CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision);
        CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease) WHERE lease != 0;
        CREATE TABLE IF NOT EXISTS lease (id BIGINT PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
        """;

    /// <summary>Each table's columns in order, as <c>information_schema.columns</c> lists them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Columns = new Dictionary<string, string>
    {
        ["kv"] = "id,name,deleted,create_revision,prev_revision,version,lease,value",
        ["lease"] = "id,ttl,expires_at",
        ["meta"] = "key,value",
    };

    /// <summary>
    /// Why an existing database is not one this build may use, or null when it is (or is empty): a kine database
    /// (real k3s's), tables of ours with other columns, or another layout version. Pure, over what the checks read.
    /// </summary>
    public static string? Mismatch(IReadOnlyDictionary<string, string> tableColumns, long? layout)
    {
        if (tableColumns.ContainsKey("kine"))
        {
            return "it holds a kine database (real k3s's), which this store does not read; point the endpoint at a new database";
        }

        foreach (var (table, expected) in Columns)
        {
            if (tableColumns.TryGetValue(table, out var found) && found != expected)
            {
                return $"its table '{table}' has columns ({found}), not this datastore's ({expected}); it belongs to something else: point the endpoint at a new database";
            }
        }

        if (tableColumns.ContainsKey("kv") && layout is null)
        {
            return "it has a 'kv' table but no datastore layout version; it belongs to something else: point the endpoint at a new database";
        }

        return layout is { } version && version != Version ? $"it has datastore layout {version}, this build reads layout {Version}" : null;
    }
}
