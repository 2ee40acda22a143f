namespace K3sLab.Lab.Datastores;

/// <summary>Where a lab cluster's servers keep their state (<c>k3slab up --datastore</c>).</summary>
public enum LabDatastore
{
    /// <summary>SQLite for one server, the embedded Raft store for more: the default.</summary>
    Auto,

    /// <summary>One server on its own SQLite file.</summary>
    Sqlite,

    /// <summary>The embedded Raft store (<c>--cluster-init</c>), also for a single server.</summary>
    Embedded,

    /// <summary>A real etcd 3.4 cluster in nodes of its own, with TLS, behind <c>--datastore-endpoint https://...</c>.</summary>
    Etcd,

    /// <summary>A real PostgreSQL in a node of its own, behind <c>--datastore-endpoint postgres://...</c>.</summary>
    Postgres,
}

/// <summary>The spelling of <see cref="LabDatastore"/> on the command line and in scenario files.</summary>
public static class LabDatastores
{
    private static readonly string[] WordArray = ["auto", "sqlite", "embedded", "etcd", "postgres"];

    /// <summary>Every word, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Words => WordArray;

    public static string Word(LabDatastore datastore) => Words[(int)datastore];

    /// <summary>The datastore a word names, or null.</summary>
    public static LabDatastore? Parse(string? word) => Array.IndexOf(WordArray, word) is var i and >= 0 ? (LabDatastore)i : null;

    /// <summary>Whether the servers' state lives in nodes of its own (etcd or PostgreSQL), outside the servers.</summary>
    public static bool IsExternal(this LabDatastore datastore) => datastore is LabDatastore.Etcd or LabDatastore.Postgres;

    /// <summary>What a datastore setting means for a number of servers: <see cref="LabDatastore.Auto"/> resolved.</summary>
    public static LabDatastore Resolve(this LabDatastore datastore, int servers) =>
        datastore == LabDatastore.Auto ? (servers > 1 ? LabDatastore.Embedded : LabDatastore.Sqlite) : datastore;

    /// <summary>Whether the datastore has Raft members with terms, leaders and comparable hashes (embedded or etcd).</summary>
    public static bool IsReplicated(this LabDatastore datastore, int servers) => datastore.Resolve(servers) is LabDatastore.Embedded or LabDatastore.Etcd;
}
