using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>
/// The nodes of the cluster under test by short name (<c>server-0</c>, <c>agent-1</c>, <c>lb</c>, and an external
/// datastore's <c>etcd-0</c>.. or <c>postgres-0</c>), names bound by steps (<c>as: victim</c>), and the dynamic
/// references <c>leader</c> and <c>follower</c>, resolved from the datastore members' own view at the moment a step
/// runs. The members are the servers on the embedded store, and the etcd nodes on an external etcd cluster. The set
/// grows when a <c>join</c> step adds nodes and follows a node <c>change-ip</c> moves (<see cref="Track"/>); readers
/// on other threads (the observers) always see a whole set, old or new.
/// </summary>
public sealed class ChaosNodes
{
    private readonly Dictionary<string, string> _bound = new(StringComparer.Ordinal);

    // Replaced whole, never changed in place: the observers read it from their own loops while a step adds a node.
    private volatile Dictionary<string, LabNode> _byShort;

    public ChaosNodes(LabCluster cluster)
    {
        Cluster = cluster;
        _byShort = cluster.Nodes.ToDictionary(n => ShortName(cluster.Name, n), StringComparer.Ordinal);
    }

    public LabCluster Cluster { get; }

    /// <summary>Every node's short name.</summary>
    public IEnumerable<string> Names => _byShort.Keys.Order(StringComparer.Ordinal);

    /// <summary>The servers' short names, in index order.</summary>
    public IReadOnlyList<string> Servers => [.. _byShort.Where(p => p.Value.Role == NodeRole.Server).OrderBy(p => p.Value.Index).Select(p => p.Key)];

    /// <summary>
    /// The datastore members' short names, in index order: the etcd nodes when the cluster has an external etcd
    /// cluster, the etcd-only k3s servers of a split cluster, else the servers (members of the embedded store).
    /// </summary>
    public IReadOnlyList<string> Members => ExternalDatastore switch
    {
        LabDatastore.Etcd => [.. _byShort.Where(p => p.Value.Role == NodeRole.Etcd).OrderBy(p => p.Value.Index).Select(p => p.Key)],
        LabDatastore.Split => [.. _byShort.Where(p => p.Value.Role == NodeRole.EtcdServer).OrderBy(p => p.Value.Index).Select(p => p.Key)],
        _ => Servers,
    };

    /// <summary>The external datastore the cluster's nodes show (etcd or PostgreSQL nodes), or null.</summary>
    public LabDatastore? ExternalDatastore =>
        _byShort.Values.Any(n => n.Role == NodeRole.Etcd) ? LabDatastore.Etcd
        : _byShort.Values.Any(n => n.Role == NodeRole.Postgres) ? LabDatastore.Postgres
        : _byShort.Values.Any(n => n.Role == NodeRole.EtcdServer) ? LabDatastore.Split
        : null;

    /// <summary>The external datastore's nodes' short names (etcd members or PostgreSQL).</summary>
    public IReadOnlyList<string> DatastoreNodes => [.. _byShort.Where(p => LabNaming.IsDatastore(p.Value.Role)).OrderBy(p => p.Value.Index).Select(p => p.Key)];

    /// <summary>The servers' and agents' short names: the nodes that register a Kubernetes Node.</summary>
    public IReadOnlyList<string> K3sNodes => [.. Names.Where(n => LabNaming.IsK3sNode(_byShort[n].Role))];

    public LabNode this[string shortName] => _byShort[shortName];

    /// <summary>
    /// Adds a node the run created (<c>join</c>), or replaces one the run made again under its name (<c>change-ip</c>:
    /// a new address). Later steps, checks and the observers see it from then on. Called by one step at a time.
    /// </summary>
    public void Track(LabNode node)
    {
        if (node.Cluster != Cluster.Name)
        {
            throw new ChaosRunException($"{node.Name} belongs to cluster '{node.Cluster}', not '{Cluster.Name}'");
        }

        _byShort = new Dictionary<string, LabNode>(_byShort, StringComparer.Ordinal) { [ShortName(Cluster.Name, node)] = node };
    }

    /// <summary>The next free index of a role, which a node joined now gets.</summary>
    public int NextIndex(NodeRole role) => _byShort.Values.Where(n => n.Role == role).Select(n => n.Index + 1).DefaultIfEmpty(0).Max();

    /// <summary>Whether a reference can take API requests: <c>lb</c>, a server, or (when members are servers) a dynamic reference.</summary>
    public bool ServesApi(string reference) =>
        _byShort.TryGetValue(reference, out var node) ? node.Role is NodeRole.Server or NodeRole.LoadBalancer
        : reference is "leader" or "follower" ? ExternalDatastore is null
        : true;

    /// <summary><c>k3slab-dev-server-0</c> → <c>server-0</c>.</summary>
    public static string ShortName(string cluster, LabNode node)
    {
        var prefix = $"k3slab-{cluster}-";
        return node.Name.StartsWith(prefix, StringComparison.Ordinal) ? node.Name[prefix.Length..] : node.Name;
    }

    /// <summary>The short name of the node a container or Kubernetes node name belongs to, or null.</summary>
    public string? FromNodeName(string nodeName) =>
        _byShort.FirstOrDefault(p => p.Value.Name == nodeName || p.Key == nodeName || nodeName.StartsWith(p.Value.Name + "-", StringComparison.Ordinal)).Key;

    public void Bind(string name, string shortName)
    {
        if (_byShort.ContainsKey(name) || name is "leader" or "follower" or "lb" or "each-server")
        {
            throw new ChaosRunException($"'as: {name}' would hide a node reference of the same name; choose another name");
        }

        _bound[name] = shortName;
    }

    /// <summary>Resolves a node name or a name bound by a step; null for anything else (<c>leader</c> needs <see cref="ResolveAsync"/>).</summary>
    public string? ResolveStatic(string reference) =>
        _byShort.ContainsKey(reference) ? reference : _bound.GetValueOrDefault(reference);

    /// <summary>
    /// Resolves a reference to a short name. <paramref name="leader"/> is asked only for <c>leader</c> and
    /// <c>follower</c> and returns the current leader's short name or null when none is agreed; <c>follower</c> is the
    /// first member that is neither the leader nor in <paramref name="unavailable"/> (stopped, killed or paused).
    /// </summary>
    public async Task<string> ResolveAsync(string reference, Func<CancellationToken, Task<string?>> leader, CancellationToken cancellationToken, IReadOnlySet<string>? unavailable = null)
    {
        if (_byShort.ContainsKey(reference))
        {
            return reference;
        }

        if (_bound.TryGetValue(reference, out var bound))
        {
            return bound;
        }

        if (reference is "leader" or "follower")
        {
            var current = await leader(cancellationToken) ?? throw new ChaosRunException($"'{reference}': no datastore leader was agreed on by the servers for {RunState.LeaderWait.TotalSeconds:0} s");
            return reference == "leader" ? current : Members.FirstOrDefault(s => s != current && unavailable?.Contains(s) != true && _byShort[s].IsRunning)
                ?? throw new ChaosRunException($"'follower': every member other than the leader {current} is down");
        }

        throw new ChaosRunException($"no node '{reference}' in cluster '{Cluster.Name}' (nodes: {string.Join(", ", Names)}; also leader, follower, agent-N.active, and names bound with 'as')");
    }

    /// <summary>Checks a reference without resolving dynamic ones: known node, a dynamic name, or bound by an earlier step.</summary>
    public bool IsKnown(string reference, IReadOnlySet<string> boundSoFar) =>
        _byShort.ContainsKey(reference) || reference is "leader" or "follower" || boundSoFar.Contains(reference)
        || (ActiveOf(reference) is { } agent && _byShort.TryGetValue(agent, out var node) && node.Role == Lab.Providers.NodeRole.Agent);

    /// <summary>The agent of an <c>agent-N.active</c> reference (the server that agent's load balancer has ACTIVE), or null.</summary>
    public static string? ActiveOf(string reference) =>
        reference.EndsWith(ActiveSuffix, StringComparison.Ordinal) ? reference[..^ActiveSuffix.Length] : null;

    private const string ActiveSuffix = ".active";
}

/// <summary>A scenario step could not run; the message says which and why. The run heals its faults and still reports.</summary>
public sealed class ChaosRunException(string message) : Exception(message);
