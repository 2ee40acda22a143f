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

    /// <summary>
    /// k3s's split roles (<c>--topology split</c>): the embedded store on etcd-only servers of its own, used by
    /// control-plane-only servers (<c>--disable-etcd</c>). Not a <c>--datastore</c> word.
    /// </summary>
    Split,
}

/// <summary>The spelling of <see cref="LabDatastore"/> on the command line and in scenario files.</summary>
public static class LabDatastores
{
    private static readonly string[] WordArray = ["auto", "sqlite", "embedded", "etcd", "postgres"];

    /// <summary>Every word, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Words => WordArray;

    public static string Word(LabDatastore datastore) => datastore == LabDatastore.Split ? "split" : Words[(int)datastore];

    private static readonly string[] TopologyArray = ["stacked", "external", "split"];

    /// <summary>
    /// The words of <c>k3slab up --topology</c>, the HA layouts of kubeadm's docs and k3s's split roles: stacked (the
    /// embedded store on the servers), external (a real etcd cluster in nodes of its own), split (etcd-only k3s
    /// servers and control-plane-only k3s servers).
    /// </summary>
    public static IReadOnlyList<string> TopologyWords => TopologyArray;

    /// <summary>The datastore a <c>--topology</c> word stands for, or null.</summary>
    public static LabDatastore? FromTopology(string? word) => word switch
    {
        "stacked" => LabDatastore.Embedded,
        "external" => LabDatastore.Etcd,
        "split" => LabDatastore.Split,
        _ => null,
    };

    /// <summary>
    /// The datastore <c>k3slab up</c>'s <c>--datastore</c> and <c>--topology</c> choose together (either may be
    /// absent); a pair that contradicts itself is refused.
    /// </summary>
    /// <exception cref="LabSetupException">The words contradict each other or one is unknown.</exception>
    public static LabDatastore Choose(string? datastoreWord, string? topologyWord)
    {
        var datastore = datastoreWord is null ? LabDatastore.Auto : Parse(datastoreWord) ?? throw new LabSetupException($"--datastore {datastoreWord} is not one of {string.Join(", ", WordArray)}");
        if (topologyWord is null)
        {
            return datastore;
        }

        var topology = FromTopology(topologyWord) ?? throw new LabSetupException($"--topology {topologyWord} is not one of {string.Join(", ", TopologyArray)}");
        if (datastore != LabDatastore.Auto && datastore != topology)
        {
            throw new LabSetupException($"--topology {topologyWord} and --datastore {datastoreWord} contradict each other: stacked is --datastore embedded, external is --datastore etcd, and split keeps the store in etcd-only servers; give one of the two");
        }

        return topology;
    }

    /// <summary>The datastore a word names, or null.</summary>
    public static LabDatastore? Parse(string? word) => Array.IndexOf(WordArray, word) is var i and >= 0 ? (LabDatastore)i : null;

    /// <summary>Whether the servers' state lives in nodes of its own (etcd, PostgreSQL or etcd-only servers), outside the API servers.</summary>
    public static bool IsExternal(this LabDatastore datastore) => datastore is LabDatastore.Etcd or LabDatastore.Postgres or LabDatastore.Split;

    /// <summary>Whether the datastore's nodes run the datastore image (real etcd or PostgreSQL) rather than the k3s node image.</summary>
    public static bool NeedsDatastoreImage(this LabDatastore datastore) => datastore is LabDatastore.Etcd or LabDatastore.Postgres;

    /// <summary>What a datastore setting means for a number of servers: <see cref="LabDatastore.Auto"/> resolved.</summary>
    public static LabDatastore Resolve(this LabDatastore datastore, int servers) =>
        datastore == LabDatastore.Auto ? (servers > 1 ? LabDatastore.Embedded : LabDatastore.Sqlite) : datastore;

    /// <summary>Whether the datastore has Raft members with terms, leaders and comparable hashes (embedded or etcd).</summary>
    public static bool IsReplicated(this LabDatastore datastore, int servers) => datastore.Resolve(servers) is LabDatastore.Embedded or LabDatastore.Etcd or LabDatastore.Split;
}
