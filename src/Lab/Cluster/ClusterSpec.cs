using K3sLab.Lab.Datastores;

namespace K3sLab.Lab.Cluster;

/// <summary>What <c>k3slab up</c> (or the C# cluster builder) is asked to create.</summary>
/// <param name="Name">The cluster name: containers are <c>k3slab-&lt;name&gt;-server-&lt;i&gt;</c>, ...</param>
/// <param name="Servers">How many servers (at least 1). More than one runs the embedded datastore unless <see cref="Datastore"/> names an external one.</param>
/// <param name="Agents">How many agents.</param>
/// <param name="ApiPort">The host port on 127.0.0.1 the API is published on through the load balancer; 0 picks a free one.</param>
/// <param name="Timeout">How long until every node is Ready (and every server a voter) before giving up.</param>
/// <param name="KeepOnFailure">Leave the containers for inspection when creation fails, instead of removing them.</param>
public sealed record ClusterSpec(string Name, int Servers, int Agents, int ApiPort, TimeSpan Timeout, bool KeepOnFailure)
{
    /// <summary>Extra <c>k3s server</c> flags for every server.</summary>
    public IReadOnlyList<string> ServerArgs { get; init; } = [];

    /// <summary>Extra environment variables for every server's and agent's <c>k3s</c> process (e.g. a test's planted bug).</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether nodes get the NET_ADMIN capability (the default), which network faults need to change iptables rules
    /// inside a node. Without it the cluster runs as usual but partitions and packet loss cannot be injected, as on a
    /// host that refuses the capability.
    /// </summary>
    public bool NetworkAdmin { get; init; } = true;

    /// <summary>
    /// Whether every server's, agent's and etcd-only server's data dir is a lossy disk of its own, so that a power loss
    /// (<see cref="Providers.INodeProvider.KillAsync"/>) also drops the writes its k3s had not fsynced. Needs root and
    /// loop devices on the host.
    /// </summary>
    public bool LossyDisks { get; init; }

    /// <summary>Extra <c>k3s agent</c> flags for every agent.</summary>
    public IReadOnlyList<string> AgentArgs { get; init; } = [];

    /// <summary>Where the servers keep their state: by default SQLite for one server and the embedded store for more.</summary>
    public LabDatastore Datastore { get; init; } = LabDatastore.Auto;

    /// <summary>How many etcd members <see cref="LabDatastore.Etcd"/> starts, or etcd-only servers <see cref="LabDatastore.Split"/> does (an odd number, 1 to 7; default 3).</summary>
    public int EtcdMembers { get; init; } = 3;

    /// <summary>The datastore with <see cref="LabDatastore.Auto"/> resolved by the number of servers.</summary>
    public LabDatastore ResolvedDatastore => Datastore.Resolve(Servers);

    /// <summary>Whether the servers share the embedded (Raft) datastore: by default with more than one server.</summary>
    public bool Embedded => ResolvedDatastore == LabDatastore.Embedded;

    /// <summary>Whether the servers keep their state in datastore nodes of the lab's own (etcd, PostgreSQL or etcd-only servers).</summary>
    public bool External => ResolvedDatastore.IsExternal();

    /// <summary>Why this spec cannot be created, or null: node counts, the datastore's fit with the servers, and conflicting server flags.</summary>
    public string? Problem()
    {
        if (Servers < 1 || Agents < 0 || Servers > Providers.NetworkPlan.MaxServers || Agents > Providers.NetworkPlan.MaxAgents)
        {
            return $"A cluster needs 1 to {Providers.NetworkPlan.MaxServers} servers and 0 to {Providers.NetworkPlan.MaxAgents} agents; asked for {Servers} and {Agents}.";
        }

        if (Datastore == LabDatastore.Sqlite && Servers > 1)
        {
            return "--datastore sqlite serves one server only: more servers share the embedded datastore (--datastore embedded) or an external one (--datastore etcd or postgres).";
        }

        if (ResolvedDatastore is LabDatastore.Etcd or LabDatastore.Split && (EtcdMembers is < 1 or > Providers.NetworkPlan.MaxDatastoreNodes || EtcdMembers % 2 == 0))
        {
            var what = ResolvedDatastore == LabDatastore.Split ? "The etcd-only servers of --topology split are" : "An etcd cluster here has";
            return $"{what} an odd number of members from 1 to {Providers.NetworkPlan.MaxDatastoreNodes}; asked for {EtcdMembers}.";
        }

        return DatastoreArgs.Conflict(ResolvedDatastore, ServerArgs);
    }
}
