using System.Collections.Immutable;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// One in-memory cache per resource kind, shared by every controller of a server (client-go's shared informer
/// factory): the kind is listed and watched from this server's datastore once, however many controllers read it.
/// Thread-safe; disposing stops every cache.
/// </summary>
internal sealed class SharedCaches(ObjectStorage storage, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(ResourceKind Kind, bool MetadataOnly), SharedCache> _caches = [];

    /// <summary>
    /// The kind's cache, listed (complete) before this returns. A <paramref name="metadataOnly"/> cache holds each
    /// object as <see cref="ObjectMetadata.Project"/> cuts it (client-go's metadata informer); it is separate from the
    /// kind's whole-object cache, so ask for it only for kinds no controller reads whole.
    /// </summary>
    public async Task<SharedCache> GetAsync(ResourceKind kind, CancellationToken ct, bool metadataOnly = false)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (!_caches.TryGetValue((kind, metadataOnly), out var cache))
            {
                cache = new SharedCache();
                cache.Inner = await ObjectCache.StartAsync(storage, kind, loggers.CreateLogger("k3s.controllers.cache"), cache.Dispatch, ct, metadataOnly ? ObjectMetadata.Project : null);
                _caches[(kind, metadataOnly)] = cache;
            }

            return cache;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _caches.Values)
        {
            if (cache.Inner is { } inner)
            {
                await inner.DisposeAsync();
            }
        }

        _caches.Clear();
        _gate.Dispose();
    }
}

/// <summary>
/// A kind's cached objects and the handlers told of each change. A handler added later is first told of every cached
/// object as an addition, so it never misses one; handlers run on the cache's loop and must only queue work.
/// </summary>
internal sealed class SharedCache
{
    private readonly object _gate = new();
    private ImmutableArray<Action<JsonObject?, JsonObject?>> _handlers = [];

    internal ObjectCache? Inner { get; set; }

    /// <summary>The objects, keyed <c>namespace/name</c> (<c>/name</c> for cluster-scoped kinds).</summary>
    public ImmutableDictionary<string, JsonObject> Items => Inner!.Items;

    /// <summary>Adds a handler of (before, after); null before is a creation, null after a deletion.</summary>
    public IDisposable Subscribe(Action<JsonObject?, JsonObject?> handler)
    {
        lock (_gate)
        {
            foreach (var item in Items.Values)
            {
                handler(null, item);
            }

            _handlers = _handlers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    internal void Dispatch(string key, JsonObject? before, JsonObject? after)
    {
        lock (_gate)
        {
            foreach (var handler in _handlers)
            {
                handler(before, after);
            }
        }
    }

    private sealed class Subscription(SharedCache cache, Action<JsonObject?, JsonObject?> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (cache._gate)
            {
                cache._handlers = cache._handlers.Remove(handler);
            }
        }
    }
}
