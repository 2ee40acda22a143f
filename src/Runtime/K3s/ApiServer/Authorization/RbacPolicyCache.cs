using System.Collections.Immutable;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// The RBAC objects the authorizer decides on, kept current as kube-apiserver's informers keep theirs: one
/// <see cref="ObjectCache"/> each for roles, clusterroles, rolebindings and clusterrolebindings. Decisions read an
/// immutable snapshot rebuilt on every change, so a request never waits on the store. A change is visible to
/// authorization as soon as its watch event arrives (milliseconds after the write), as on a real cluster.
/// </summary>
internal sealed class RbacPolicyCache : IAsyncDisposable
{
    private const string Group = "rbac.authorization.k8s.io";

    private readonly Lock _gate = new();
    private readonly List<ObjectCache> _roles = [];
    private readonly List<ObjectCache> _bindings = [];
    private Snapshot _snapshot = new([], []);

    private RbacPolicyCache()
    {
    }

    /// <summary>Lists the RBAC objects once (so the first request is decided on the stored policy) and starts watching.</summary>
    public static async Task<RbacPolicyCache> StartAsync(ObjectStorage storage, ILogger logger, CancellationToken cancellationToken)
    {
        var cache = new RbacPolicyCache();
        foreach (var (resource, namespaced, isRole) in new[] { ("roles", true, true), ("clusterroles", false, true), ("rolebindings", true, false), ("clusterrolebindings", false, false) })
        {
            var objects = await ObjectCache.StartAsync(storage, new ResourceKind(Group, resource, namespaced), logger, (_, _, _) => cache.Rebuild(), cancellationToken).ConfigureAwait(false);
            lock (cache._gate)
            {
                (isRole ? cache._roles : cache._bindings).Add(objects);
            }

            cache.Rebuild();
        }

        return cache;
    }

    /// <summary>How many roles and bindings the snapshot holds (for logs and tests).</summary>
    public (int Roles, int Bindings) Count
    {
        get
        {
            var snapshot = Volatile.Read(ref _snapshot);
            return (snapshot.Roles.Length, snapshot.Bindings.Length);
        }
    }

    public bool Allows(UserInfo user, AccessRequest request)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return RbacAuthorizer.Allows(user, request, snapshot.Roles, snapshot.Bindings);
    }

    /// <summary>Every rule granted to the user in the namespace (cluster-wide grants included), for rules reviews.</summary>
    public IReadOnlyList<PolicyRule> RulesFor(UserInfo user, string ns)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return RbacAuthorizer.RulesFor(user, ns, snapshot.Roles, snapshot.Bindings);
    }

    /// <summary>The rules of a Role (<paramref name="ns"/> set) or ClusterRole (<paramref name="ns"/> empty); empty when it does not exist.</summary>
    public IReadOnlyList<PolicyRule> RoleRules(string ns, string name) =>
        Volatile.Read(ref _snapshot).Roles.Where(r => r.Namespace == ns && r.Name == name).SelectMany(r => r.Rules).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _roles.Concat(_bindings))
        {
            await cache.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Rebuild()
    {
        lock (_gate)
        {
            ImmutableArray<RbacRole> roles = [.. _roles.SelectMany(c => c.Items.Values).Select(RbacObjects.Role)];
            ImmutableArray<RbacBinding> bindings = [.. _bindings.SelectMany(c => c.Items.Values).Select(RbacObjects.Binding)];
            Volatile.Write(ref _snapshot, new Snapshot(roles, bindings));
        }
    }

    private sealed record Snapshot(ImmutableArray<RbacRole> Roles, ImmutableArray<RbacBinding> Bindings);
}
