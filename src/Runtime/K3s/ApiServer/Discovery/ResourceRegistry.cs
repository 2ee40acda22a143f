using System.Collections.Immutable;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Discovery;

/// <summary>
/// Every resource the server serves: the built-in catalog plus the versions CustomResourceDefinitions declare,
/// kept current from a watch on the definitions as kube-apiserver's apiextensions informers keep theirs. Readers
/// get an immutable snapshot with a generation that changes with it (discovery and OpenAPI documents are cached
/// per generation). A definition whose plural or kind is already served in its group is not served (its
/// NamesAccepted condition says so).
/// </summary>
internal sealed class ResourceRegistry : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly IReadOnlyList<ApiResource> _addOns;
    private ObjectCache? _cache;
    private Snapshot _snapshot;

    private ResourceRegistry(IReadOnlyList<ApiResource> addOns)
    {
        _addOns = addOns;
        _snapshot = Build(addOns, []);
    }

    /// <summary>Raised (on the watch's loop) after every change to the served set or to a definition.</summary>
    public event Action? Changed;

    public IReadOnlyList<ApiResource> All => Volatile.Read(ref _snapshot).All;

    public long Generation => Volatile.Read(ref _snapshot).Generation;

    /// <summary>The definitions, with the names of those not served because their names conflict.</summary>
    public (ImmutableArray<JsonObject> Definitions, ImmutableHashSet<string> Conflicting) CustomDefinitions
    {
        get
        {
            var snapshot = Volatile.Read(ref _snapshot);
            return (snapshot.Definitions, snapshot.Conflicting);
        }
    }

    /// <summary>The built-in resources only (tests, and servers that do not watch definitions).</summary>
    public static ResourceRegistry BuiltIn() => new([]);

    /// <summary>
    /// Lists the definitions once (so the first request sees them) and starts watching them. <paramref name="addOns"/>
    /// are served as built-ins too: the groups of packaged components this server runs (metrics-server's
    /// <c>metrics.k8s.io</c>), which k3s registers as APIServices and this server answers itself.
    /// </summary>
    public static async Task<ResourceRegistry> StartAsync(ObjectStorage storage, ILogger logger, CancellationToken cancellationToken, IReadOnlyList<ApiResource>? addOns = null)
    {
        var registry = new ResourceRegistry(addOns ?? []);
        registry._cache = await ObjectCache.StartAsync(storage, CrdResources.Kind, logger, (_, _, _) => registry.Rebuild(), cancellationToken).ConfigureAwait(false);
        registry.Rebuild();
        return registry;
    }

    public ApiResource? Find(string group, string version, string resource) =>
        Volatile.Read(ref _snapshot).ByPath.GetValueOrDefault((group, version, resource));

    public async ValueTask DisposeAsync()
    {
        if (_cache is not null)
        {
            await _cache.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Rebuild()
    {
        lock (_gate)
        {
            var definitions = _cache?.Items.Values.OrderBy(d => d["metadata"]?["name"]?.GetValue<string>(), StringComparer.Ordinal).ToList() ?? [];
            var next = Build(_addOns, definitions) with { Generation = _snapshot.Generation + 1 };
            Volatile.Write(ref _snapshot, next);
        }

        Changed?.Invoke();
    }

    private static Snapshot Build(IReadOnlyList<ApiResource> addOns, IReadOnlyList<JsonObject> definitions)
    {
        var all = new List<ApiResource>(ApiResourceCatalog.BuiltIn.Concat(addOns));
        var byPath = all.ToDictionary(r => (r.Group, r.Version, r.Name));
        var kinds = all.Select(r => (r.Group, r.Kind)).ToHashSet();
        var conflicting = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            var served = CrdResources.From(definition);
            if (served.Any(r => byPath.ContainsKey((r.Group, r.Version, r.Name)) || kinds.Contains((r.Group, r.Kind))))
            {
                conflicting.Add(definition["metadata"]?["name"]?.GetValue<string>() ?? string.Empty);
                continue;
            }

            foreach (var resource in served)
            {
                all.Add(resource);
                byPath[(resource.Group, resource.Version, resource.Name)] = resource;
            }

            kinds.UnionWith(served.Select(r => (r.Group, r.Kind)));
        }

        return new Snapshot(all, byPath, [.. definitions], conflicting.ToImmutable(), 0);
    }

    private sealed record Snapshot(
        IReadOnlyList<ApiResource> All,
        Dictionary<(string Group, string Version, string Resource), ApiResource> ByPath,
        ImmutableArray<JsonObject> Definitions,
        ImmutableHashSet<string> Conflicting,
        long Generation);
}
