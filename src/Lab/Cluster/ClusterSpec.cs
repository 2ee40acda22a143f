namespace K3sLab.Lab.Cluster;

/// <summary>What <c>k3slab up</c> (or the C# cluster builder) is asked to create.</summary>
/// <param name="Name">The cluster name: containers are <c>k3slab-&lt;name&gt;-server-&lt;i&gt;</c>, ...</param>
/// <param name="Servers">How many servers (at least 1). More than one runs the embedded datastore.</param>
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

    /// <summary>Extra <c>k3s agent</c> flags for every agent.</summary>
    public IReadOnlyList<string> AgentArgs { get; init; } = [];

    /// <summary>Whether the servers share the embedded (Raft) datastore: always with more than one server.</summary>
    public bool Embedded => Servers > 1 || EmbeddedForOne;

    /// <summary>Run a single server on the embedded datastore too (<c>--datastore embedded</c>) instead of SQLite.</summary>
    public bool EmbeddedForOne { get; init; }
}
