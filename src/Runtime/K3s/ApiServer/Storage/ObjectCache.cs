using System.Collections.Immutable;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// One kind's objects kept in memory as an informer keeps them: listed once, then watched from the list's
/// revision; when the watch ends (compaction, store restart) the kind is listed again and the differences are
/// reported as changes. Readers get an immutable snapshot; the change callback sees every change in order,
/// with the object before and after (null for created or deleted), on the cache's own loop.
/// </summary>
internal sealed partial class ObjectCache : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly ObjectStorage _storage;
    private readonly ResourceKind _kind;
    private readonly ILogger _logger;
    private readonly Action<string, JsonObject?, JsonObject?> _changed;
    private readonly Func<JsonObject, JsonObject>? _project;
    private readonly CancellationTokenSource _stop = new();
    private ImmutableDictionary<string, JsonObject> _items = ImmutableDictionary<string, JsonObject>.Empty.WithComparers(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;

    private ObjectCache(ObjectStorage storage, ResourceKind kind, ILogger logger, Action<string, JsonObject?, JsonObject?> changed, Func<JsonObject, JsonObject>? project) =>
        (_storage, _kind, _logger, _changed, _project) = (storage, kind, logger, changed, project);

    /// <summary>The objects, keyed <c>namespace/name</c> (<c>/name</c> for cluster-scoped kinds).</summary>
    public ImmutableDictionary<string, JsonObject> Items => Volatile.Read(ref _items);

    /// <summary>
    /// Lists the kind (so the cache is complete when this returns) and starts watching it. With
    /// <paramref name="project"/> the cache keeps (and reports) only what it returns for each object, e.g.
    /// <see cref="ObjectMetadata.Project"/> for a reader that needs no more, as client-go's metadata informers do.
    /// </summary>
    public static async Task<ObjectCache> StartAsync(ObjectStorage storage, ResourceKind kind, ILogger logger, Action<string, JsonObject?, JsonObject?> changed, CancellationToken cancellationToken, Func<JsonObject, JsonObject>? project = null)
    {
        var cache = new ObjectCache(storage, kind, logger, changed, project);
        var revision = await cache.ListAsync(cancellationToken).ConfigureAwait(false);
        cache._loop = Task.Run(() => cache.SyncAsync(revision, cache._stop.Token), CancellationToken.None);
        return cache;
    }

    public static string Key(JsonObject obj) =>
        $"{obj["metadata"]?["namespace"]?.GetValue<string>()}/{obj["metadata"]?["name"]?.GetValue<string>()}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SyncAsync(long revision, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _storage.WatchAsync(_kind, string.Empty, null, revision, ct).ConfigureAwait(false))
                {
                    if (e.Type == "ERROR")
                    {
                        break;
                    }

                    Apply(Key(e.Object), e.Type == "DELETED" ? null : e.Object);
                    revision = Math.Max(revision, Version(e.Object));
                }

                revision = await ListAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiStatusException or Store.StoreException or IOException)
            {
                Log.SyncFailed(_logger, _kind.Resource, e.Message);
                try
                {
                    await Task.Delay(RetryDelay, ct).ConfigureAwait(false);
                    revision = await ListAsync(ct).ConfigureAwait(false);
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

    /// <summary>Lists the kind and reports what differs from the cache as changes.</summary>
    private async Task<long> ListAsync(CancellationToken ct)
    {
        var list = await _storage.ListAsync(_kind, string.Empty, 0, null, 0, ct).ConfigureAwait(false);
        var listed = list.Items.ToDictionary(Key, StringComparer.Ordinal);
        foreach (var key in Items.Keys.Where(k => !listed.ContainsKey(k)).ToList())
        {
            Apply(key, null);
        }

        foreach (var (key, obj) in listed)
        {
            if (!Items.TryGetValue(key, out var known) || Version(known) != Version(obj))
            {
                Apply(key, obj);
            }
        }

        return list.ResourceVersion;
    }

    private void Apply(string key, JsonObject? current)
    {
        var before = Items.GetValueOrDefault(key);
        if (before is null && current is null)
        {
            return;
        }

        if (current is not null && _project is not null)
        {
            current = _project(current);
        }

        Volatile.Write(ref _items, current is null ? Items.Remove(key) : Items.SetItem(key, current));
        _changed(key, before, current);
    }

    private static long Version(JsonObject obj) =>
        long.TryParse(obj["metadata"]?["resourceVersion"]?.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "cache of {Resource}: watching failed ({Reason}); listing again")]
        public static partial void SyncFailed(ILogger logger, string resource, string reason);
    }
}
