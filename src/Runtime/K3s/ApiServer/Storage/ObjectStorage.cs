using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// Kubernetes object storage over the store contract, with kube-apiserver's etcd3 semantics: an object's
/// <c>resourceVersion</c> is the revision that last changed its key and is never stored in the value; create is a
/// put guarded by "the key does not exist"; update and delete are guarded by the revision read (optimistic
/// concurrency, 409 Conflict on a mismatch); lists are read at one revision and paged with continue tokens; watches
/// start after a revision and end with 410 Expired when it has been compacted.
/// </summary>
internal sealed class ObjectStorage(IRevisionedStore store)
{
    /// <summary>How often an unconditional update retries a lost race before giving up with 409.</summary>
    private const int UpdateAttempts = 16;

    public IRevisionedStore Store { get; } = store;

    public async Task<StoredObject> CreateAsync(ResourceKind kind, string ns, string name, JsonObject obj, CancellationToken cancellationToken)
    {
        var key = Bytes(kind.Key(ns, name));
        var value = Serialize(obj);
        var txn = new TxnRequest(
            [new Compare(KeyRange.Single(key), CompareTarget.Create, CompareResult.Equal, 0, [])],
            [new PutOp(key, value)],
            []);
        var result = await Store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw ApiErrors.AlreadyExists(kind.Group, kind.Resource, name);
        }

        return new StoredObject(WithVersion(Deserialize(value), result.Revision), result.Revision);
    }

    /// <summary>The object as of the latest revision (a linearizable read: etcd's default, kube-apiserver's GET).</summary>
    public Task<StoredObject> GetAsync(ResourceKind kind, string ns, string name, CancellationToken cancellationToken) =>
        GetAsync(kind, ns, name, serializable: false, cancellationToken);

    /// <summary>
    /// The object as this member last applied it, without a quorum round trip (etcd's serializable read): what
    /// kube-apiserver's watch cache and informers give its admission and update paths. It may be stale, so a
    /// miss or a refusal based on it must be confirmed with <see cref="GetAsync(ResourceKind, string, string, CancellationToken)"/>.
    /// </summary>
    public async Task<StoredObject?> TryGetLocalAsync(ResourceKind kind, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(kind, ns, name, serializable: true, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            return null;
        }
    }

    private async Task<StoredObject> GetAsync(ResourceKind kind, string ns, string name, bool serializable, CancellationToken cancellationToken)
    {
        var query = new RangeQuery(KeyRange.Single(Bytes(kind.Key(ns, name)))) { Serializable = serializable };
        var range = await Read(() => Store.RangeAsync(query, cancellationToken)).ConfigureAwait(false);
        var kv = range.Kvs.FirstOrDefault() ?? throw ApiErrors.NotFound(kind.Group, kind.Resource, name);
        return new StoredObject(WithVersion(Deserialize(kv.Value), kv.ModRevision), kv.ModRevision);
    }

    /// <summary>
    /// The state a guarded write starts from. The first attempt takes this member's own copy, as kube-apiserver's
    /// GuaranteedUpdate starts from its watch cache: no quorum round trip before the write, whose revision guard
    /// fails if the copy was stale. Later attempts, and every refusal, start from a linearizable read.
    /// </summary>
    private async Task<(StoredObject Current, bool Fresh)> ReadForWriteAsync(ResourceKind kind, string ns, string name, int attempt, CancellationToken cancellationToken)
    {
        if (attempt == 0 && await TryGetLocalAsync(kind, ns, name, cancellationToken).ConfigureAwait(false) is { } local)
        {
            return (local, false);
        }

        return (await GetAsync(kind, ns, name, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>
    /// Reads, transforms and writes back, guarded by the revision read. With <paramref name="expectedVersion"/> (the
    /// client's <c>metadata.resourceVersion</c>) a mismatch with the latest state is a 409 Conflict; without it a lost
    /// race is retried.
    /// </summary>
    public async Task<StoredObject> UpdateAsync(ResourceKind kind, string ns, string name, long? expectedVersion, Func<JsonObject, JsonObject> update, CancellationToken cancellationToken)
    {
        var key = Bytes(kind.Key(ns, name));
        for (var attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            var (current, fresh) = await ReadForWriteAsync(kind, ns, name, attempt, cancellationToken).ConfigureAwait(false);
            if (expectedVersion is { } expected && expected != current.ResourceVersion)
            {
                if (!fresh)
                {
                    continue;
                }

                throw ApiErrors.Conflict(kind.Group, kind.Resource, name);
            }

            JsonObject updated;
            try
            {
                updated = update((JsonObject)current.Object.DeepClone());
            }
            catch (ApiStatusException) when (!fresh)
            {
                // A refusal (an immutable field, a failed precondition) may come from the stale copy: decide on the latest.
                continue;
            }

            var value = Serialize(updated);
            var txn = new TxnRequest(
                [new Compare(KeyRange.Single(key), CompareTarget.Mod, CompareResult.Equal, current.ResourceVersion, [])],
                [new PutOp(key, value)],
                []);
            var result = await Store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return new StoredObject(WithVersion(Deserialize(value), result.Revision), result.Revision);
            }

            if (expectedVersion is not null && fresh)
            {
                throw ApiErrors.Conflict(kind.Group, kind.Resource, name);
            }
        }

        throw ApiErrors.Conflict(kind.Group, kind.Resource, name, "the object is being changed too often to update; try again");
    }

    /// <summary>Deletes the object, guarded by the revision read (and by <paramref name="expectedVersion"/> when given); returns the last version with the deletion's revision.</summary>
    public async Task<StoredObject> DeleteAsync(ResourceKind kind, string ns, string name, long? expectedVersion, CancellationToken cancellationToken)
    {
        var key = Bytes(kind.Key(ns, name));
        for (var attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            var (current, fresh) = await ReadForWriteAsync(kind, ns, name, attempt, cancellationToken).ConfigureAwait(false);
            if (expectedVersion is { } expected && expected != current.ResourceVersion)
            {
                if (!fresh)
                {
                    continue;
                }

                throw ApiErrors.Conflict(kind.Group, kind.Resource, name, $"the ResourceVersion in the precondition ({expected}) does not match the ResourceVersion in record ({current.ResourceVersion}). The object might have been modified");
            }

            var txn = new TxnRequest(
                [new Compare(KeyRange.Single(key), CompareTarget.Mod, CompareResult.Equal, current.ResourceVersion, [])],
                [new DeleteOp(KeyRange.Single(key))],
                []);
            var result = await Store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return new StoredObject(WithVersion(current.Object, result.Revision), result.Revision);
            }
        }

        throw ApiErrors.Conflict(kind.Group, kind.Resource, name, "the object is being changed too often to delete; try again");
    }

    /// <summary>
    /// Deletes one object (guarded by its revision) together with every key under <paramref name="prefixes"/>, in
    /// one transaction; returns the deletion's revision, or null when the object changed meanwhile.
    /// </summary>
    public async Task<long?> DeleteTreeAsync(string key, long revision, IEnumerable<string> prefixes, CancellationToken cancellationToken)
    {
        var keyBytes = Bytes(key);
        var ops = new List<TxnOp> { new DeleteOp(KeyRange.Single(keyBytes)) };
        ops.AddRange(prefixes.Select(p => (TxnOp)new DeleteOp(KeyRange.Prefix(Bytes(p)))));
        var txn = new TxnRequest([new Compare(KeyRange.Single(keyBytes), CompareTarget.Mod, CompareResult.Equal, revision, [])], ops, []);
        var result = await Store.TxnAsync(txn, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.Revision : null;
    }

    /// <summary>
    /// One page of the objects under <paramref name="ns"/> (all namespaces when empty). <paramref name="revision"/>
    /// 0 reads the latest revision; a continue token pins the page to the revision of the first page.
    /// </summary>
    public async Task<ObjectList> ListAsync(ResourceKind kind, string ns, long limit, string? continueToken, long revision, CancellationToken cancellationToken)
    {
        var page = await ListStoredAsync(kind, ns, limit, continueToken, revision, cancellationToken).ConfigureAwait(false);
        var items = page.Kvs.Select(Materialize).ToList();
        return new ObjectList(items, page.ResourceVersion, page.Continue, page.RemainingItemCount);
    }

    /// <summary>
    /// As <see cref="ListAsync"/>, with the objects as stored (no <c>resourceVersion</c>; the key's
    /// <see cref="KeyValue.ModRevision"/> is it), for responses that pass them through (<see cref="StoredJson"/>).
    /// </summary>
    public async Task<StoredList> ListStoredAsync(ResourceKind kind, string ns, long limit, string? continueToken, long revision, CancellationToken cancellationToken)
    {
        var prefix = kind.ListPrefix(ns);
        var start = prefix;
        if (!string.IsNullOrEmpty(continueToken))
        {
            var decoded = ContinueToken.Decode(continueToken) ?? throw ApiErrors.BadRequest("continue key is not valid: the token was not issued by this server");
            revision = decoded.Revision;
            start = prefix + decoded.Start;
        }

        var range = new KeyRange(Bytes(start), KeyRange.PrefixEnd(Bytes(prefix)));
        RangeResult result;
        try
        {
            result = await Store.RangeAsync(new RangeQuery(range, revision, limit), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.Compacted && !string.IsNullOrEmpty(continueToken))
        {
            throw ApiErrors.ContinueExpired();
        }
        catch (StoreException e) when (e.Error == StoreError.Compacted)
        {
            throw ApiErrors.Expired(revision, e.CompactRevision);
        }
        catch (StoreException e) when (e.Error == StoreError.FutureRevision)
        {
            throw ApiErrors.TooLargeResourceVersion(revision, Store.CurrentRevision);
        }

        var readAt = revision > 0 ? revision : result.Revision;
        if (!result.More)
        {
            return new StoredList(result.Kvs, readAt, null, null);
        }

        var last = Encoding.UTF8.GetString(result.Kvs[^1].Key);
        var next = ContinueToken.Encode(readAt, last[prefix.Length..] + "\u0000");
        return new StoredList(result.Kvs, readAt, next, result.Count - result.Kvs.Count);
    }

    /// <summary>
    /// Watches the objects under <paramref name="ns"/> (or one object with <paramref name="name"/>) for changes after
    /// <paramref name="afterRevision"/>; a compacted revision yields one ERROR event with 410 Expired, as
    /// kube-apiserver sends it.
    /// </summary>
    public IAsyncEnumerable<ObjectEvent> WatchAsync(ResourceKind kind, string ns, string? name, long afterRevision, CancellationToken cancellationToken) =>
        WatchAsync(kind, ns, name, afterRevision, progress: null, cancellationToken);

    /// <summary>
    /// As <see cref="WatchAsync(ResourceKind, string, string?, long, CancellationToken)"/>; each time
    /// <paramref name="progress"/> is signalled the store is asked for a progress mark, which comes back as a
    /// BOOKMARK event whose resourceVersion every earlier event is at or below.
    /// </summary>
    public async IAsyncEnumerable<ObjectEvent> WatchAsync(ResourceKind kind, string ns, string? name, long afterRevision, ChannelReader<bool>? progress, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var events in WatchStoredAsync(kind, ns, name, afterRevision, progress, cancellationToken).ConfigureAwait(false))
        {
            foreach (var e in events)
            {
                yield return e switch
                {
                    { Status: { } status } => new ObjectEvent(e.Type, status),
                    { Value: null } => new ObjectEvent(e.Type, new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = e.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) } }),
                    { Value: { } value } => new ObjectEvent(e.Type, WithVersion(Deserialize(value), e.Revision))
                    {
                        Previous = e.Previous is { } before ? WithVersion(Deserialize(before.Value), before.ModRevision) : null,
                    },
                };
            }
        }
    }

    /// <summary>
    /// As <see cref="WatchAsync(ResourceKind, string, string?, long, ChannelReader{bool}?, CancellationToken)"/>, with
    /// the objects left in their stored bytes, and the events that are ready together in one list: a watcher that
    /// fell behind writes what it owes at once instead of one event at a time. The last list ends with the ERROR
    /// event when the watch ends on compaction.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<StoredObjectEvent>> WatchStoredAsync(ResourceKind kind, string ns, string? name, long afterRevision, ChannelReader<bool>? progress, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int MostEventsAtOnce = 256;
        var range = name is null ? KeyRange.Prefix(Bytes(kind.ListPrefix(ns))) : KeyRange.Single(Bytes(kind.Key(ns, name)));
        using var watch = Store.Watch(new WatchRequest(range, afterRevision + 1) { PrevKv = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var asking = progress is null ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in progress.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    watch.RequestProgress();
                }
            }
            catch (OperationCanceledException)
            {
                // The watch ended.
            }
        }, CancellationToken.None);
        try
        {
            var ended = false;
            while (!ended && await watch.Batches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var events = new List<StoredObjectEvent>();
                while (!ended && events.Count < MostEventsAtOnce && watch.Batches.TryRead(out var batch))
                {
                    if (batch.CompactRevision != 0)
                    {
                        events.Add(new StoredObjectEvent("ERROR", null, 0) { Status = ExpiredStatus(afterRevision, batch.CompactRevision) });
                        ended = true;
                    }
                    else if (batch.IsCanceled)
                    {
                        ended = true;
                    }
                    else if (batch.Events.Count == 0 && progress is not null)
                    {
                        events.Add(new StoredObjectEvent("BOOKMARK", null, batch.Revision));
                    }
                    else
                    {
                        foreach (var e in batch.Events)
                        {
                            if (e.IsDelete)
                            {
                                if (e.PrevKv is { } prev)
                                {
                                    events.Add(new StoredObjectEvent("DELETED", prev.Value, e.Kv.ModRevision));
                                }
                            }
                            else
                            {
                                events.Add(new StoredObjectEvent(e.Kv.Version == 1 ? "ADDED" : "MODIFIED", e.Kv.Value, e.Kv.ModRevision) { Previous = e.PrevKv });
                            }
                        }
                    }
                }

                if (events.Count > 0)
                {
                    yield return events;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await asking.ConfigureAwait(false);
        }
    }

    private static JsonObject ExpiredStatus(long requested, long oldest)
    {
        var error = ApiErrors.Expired(requested, oldest);
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = error.Message,
            ["reason"] = "Expired",
            ["code"] = 410,
        };
    }

    private static async Task<T> Read<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.Unavailable)
        {
            throw ApiErrors.ServiceUnavailable($"the datastore cannot serve: {e.Message}");
        }
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>The stored form never carries a resourceVersion: the key's revision is the version.</summary>
    /// <summary>etcd's default request limit (--max-request-bytes), which k3s's datastores share: no object may be larger.</summary>
    public const int MaxObjectBytes = 1536 * 1024;

    private static byte[] Serialize(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
        }

        var bytes = Encoding.UTF8.GetBytes(obj.ToJsonString());
        return bytes.Length <= MaxObjectBytes
            ? bytes
            : throw new ApiStatusException(413, "RequestEntityTooLarge", $"Request entity too large: the object is {bytes.Length} bytes and the datastore takes at most {MaxObjectBytes}");
    }

    /// <summary>A stored object as the API serves it: parsed, with its resourceVersion set.</summary>
    public static JsonObject Materialize(KeyValue kv) => Materialize(kv.Value, kv.ModRevision);

    /// <summary>A stored object's bytes as the object with <paramref name="revision"/> as its resourceVersion.</summary>
    public static JsonObject Materialize(byte[] value, long revision) => WithVersion(Deserialize(value), revision);

    private static JsonObject Deserialize(byte[] value) =>
        JsonNode.Parse(value) as JsonObject ?? throw new JsonException("a stored object is not a JSON object");

    private static JsonObject WithVersion(JsonObject obj, long revision)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            obj["metadata"] = metadata;
        }

        metadata["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return obj;
    }
}
