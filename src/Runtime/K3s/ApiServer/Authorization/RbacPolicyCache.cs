using System.Collections.Immutable;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// The RBAC objects the authorizer decides on, kept current as kube-apiserver's informers keep theirs: each of
/// roles, clusterroles, rolebindings and clusterrolebindings is listed, then watched from the list's revision; a
/// watch that ends (compaction, datastore restart) relists. Decisions read an immutable snapshot, so a request
/// never waits on the store. A change is visible to authorization as soon as its watch event arrives (milliseconds
/// after the write), as on a real cluster.
/// </summary>
internal sealed partial class RbacPolicyCache : IAsyncDisposable
{
    private const string Group = "rbac.authorization.k8s.io";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly ObjectStorage _storage;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RbacRole> _roles = [];
    private readonly Dictionary<string, RbacBinding> _bindings = [];
    private readonly List<Task> _loops = [];
    private Snapshot _snapshot = new([], []);

    private RbacPolicyCache(ObjectStorage storage, ILogger logger) => (_storage, _logger) = (storage, logger);

    /// <summary>Lists the RBAC objects once (so the first request is decided on the stored policy) and starts watching.</summary>
    public static async Task<RbacPolicyCache> StartAsync(ObjectStorage storage, ILogger logger, CancellationToken cancellationToken)
    {
        var cache = new RbacPolicyCache(storage, logger);
        foreach (var source in Sources())
        {
            var revision = await cache.ListAsync(source, cancellationToken).ConfigureAwait(false);
            cache._loops.Add(Task.Run(() => cache.SyncAsync(source, revision, cache._stop.Token), CancellationToken.None));
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static IEnumerable<Source> Sources() =>
    [
        new(new ResourceKind(Group, "roles", true), IsRole: true),
        new(new ResourceKind(Group, "clusterroles", false), IsRole: true),
        new(new ResourceKind(Group, "rolebindings", true), IsRole: false),
        new(new ResourceKind(Group, "clusterrolebindings", false), IsRole: false),
    ];

    private async Task SyncAsync(Source source, long revision, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _storage.WatchAsync(source.Kind, string.Empty, null, revision, ct).ConfigureAwait(false))
                {
                    if (e.Type == "ERROR")
                    {
                        break;
                    }

                    Apply(source, e.Type, e.Object);
                    revision = Math.Max(revision, Version(e.Object));
                }

                // The watch ended (expired or cancelled by the store): relist and watch again.
                revision = await ListAsync(source, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiStatusException or Store.StoreException or IOException)
            {
                Log.SyncFailed(_logger, source.Kind.Resource, e.Message);
                try
                {
                    await Task.Delay(RetryDelay, ct).ConfigureAwait(false);
                    revision = await ListAsync(source, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception again) when (again is ApiStatusException or Store.StoreException or IOException)
                {
                    // Still failing: the next pass waits and lists again.
                }
            }
        }
    }

    private async Task<long> ListAsync(Source source, CancellationToken ct)
    {
        var list = await _storage.ListAsync(source.Kind, string.Empty, 0, null, 0, ct).ConfigureAwait(false);
        lock (_gate)
        {
            var prefix = source.Kind.Resource + "/";
            if (source.IsRole)
            {
                RemoveWhere(_roles, prefix);
            }
            else
            {
                RemoveWhere(_bindings, prefix);
            }

            foreach (var item in list.Items)
            {
                Put(source, item);
            }

            Publish();
        }

        return list.ResourceVersion;
    }

    private void Apply(Source source, string type, JsonObject obj)
    {
        lock (_gate)
        {
            if (type == "DELETED")
            {
                if (source.IsRole)
                {
                    _roles.Remove(Key(source, obj));
                }
                else
                {
                    _bindings.Remove(Key(source, obj));
                }
            }
            else
            {
                Put(source, obj);
            }

            Publish();
        }
    }

    private void Put(Source source, JsonObject obj)
    {
        if (source.IsRole)
        {
            _roles[Key(source, obj)] = RbacObjects.Role(obj);
        }
        else
        {
            _bindings[Key(source, obj)] = RbacObjects.Binding(obj);
        }
    }

    private void Publish() => Volatile.Write(ref _snapshot, new Snapshot([.. _roles.Values], [.. _bindings.Values]));

    private static void RemoveWhere<T>(Dictionary<string, T> map, string prefix)
    {
        foreach (var key in map.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            map.Remove(key);
        }
    }

    private static string Key(Source source, JsonObject obj) =>
        $"{source.Kind.Resource}/{obj["metadata"]?["namespace"]?.GetValue<string>()}/{obj["metadata"]?["name"]?.GetValue<string>()}";

    private static long Version(JsonObject obj) =>
        long.TryParse(obj["metadata"]?["resourceVersion"]?.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;

    private sealed record Source(ResourceKind Kind, bool IsRole);

    private sealed record Snapshot(ImmutableArray<RbacRole> Roles, ImmutableArray<RbacBinding> Bindings);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "RBAC cache: watching {Resource} failed ({Reason}); listing again")]
        public static partial void SyncFailed(ILogger logger, string resource, string reason);
    }
}
