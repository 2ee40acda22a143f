using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>
/// The nodes of the cluster under test by short name (<c>server-0</c>, <c>agent-1</c>, <c>lb</c>), names bound by
/// steps (<c>as: victim</c>), and the dynamic references <c>leader</c> and <c>follower</c>, resolved from the
/// datastore members' own view at the moment a step runs.
/// </summary>
public sealed class ChaosNodes
{
    private readonly Dictionary<string, LabNode> _byShort;
    private readonly Dictionary<string, string> _bound = new(StringComparer.Ordinal);

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

    public LabNode this[string shortName] => _byShort[shortName];

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
    /// <c>follower</c> and returns the current leader's short name or null when none is agreed.
    /// </summary>
    public async Task<string> ResolveAsync(string reference, Func<CancellationToken, Task<string?>> leader, CancellationToken cancellationToken)
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
            var current = await leader(cancellationToken) ?? throw new ChaosRunException($"'{reference}': no datastore leader is agreed on by the servers right now");
            return reference == "leader" ? current : Servers.FirstOrDefault(s => s != current && _byShort[s].IsRunning)
                ?? Servers.First(s => s != current);
        }

        throw new ChaosRunException($"no node '{reference}' in cluster '{Cluster.Name}' (nodes: {string.Join(", ", Names)}; also leader, follower, and names bound with 'as')");
    }

    /// <summary>Checks a reference without resolving dynamic ones: known node, a dynamic name, or bound by an earlier step.</summary>
    public bool IsKnown(string reference, IReadOnlySet<string> boundSoFar) =>
        _byShort.ContainsKey(reference) || reference is "leader" or "follower" || boundSoFar.Contains(reference);
}

/// <summary>A scenario step could not run; the message says which and why. The run heals its faults and still reports.</summary>
public sealed class ChaosRunException(string message) : Exception(message);
