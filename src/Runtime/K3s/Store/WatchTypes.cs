using System.Threading.Channels;

namespace K3sLab.K3s.Store;

/// <summary>A change as watchers see it: a put or a delete of one key at one revision, with the version before it when the watcher asked.</summary>
internal sealed record WatchEvent(bool IsDelete, KeyValue Kv, KeyValue? PrevKv);

/// <summary>A change with the store revision it happened at, as the watch machinery passes it around.</summary>
internal sealed record StoredEvent(long Revision, WatchEvent Event);

/// <summary>
/// A request to watch <see cref="Range"/> from <see cref="StartRevision"/> (0: from the next revision on), as
/// etcd's <c>WatchCreateRequest</c>.
/// </summary>
internal sealed record WatchRequest(KeyRange Range, long StartRevision = 0)
{
    public bool PrevKv { get; init; }

    public bool NoPut { get; init; }

    public bool NoDelete { get; init; }
}

/// <summary>
/// What a watch delivers, in revision order: events (all of a revision together), or an empty batch that is a
/// progress mark (every event up to <see cref="Revision"/> has been delivered), or the end of the watch with
/// <see cref="CompactRevision"/> set when the watcher fell behind compaction.
/// </summary>
internal sealed record WatchBatch(IReadOnlyList<WatchEvent> Events, long Revision)
{
    public long CompactRevision { get; init; }

    public string? CancelReason { get; init; }

    public bool IsCanceled => CancelReason is not null;
}

/// <summary>
/// A live watch. <see cref="Batches"/> yields in revision order without gaps; the channel completes after a
/// canceled batch or on <see cref="IDisposable.Dispose"/>. A slow reader never holds up other watchers or writers:
/// it falls behind and catches up from the store's history.
/// </summary>
internal interface IStoreWatch : IDisposable
{
    ChannelReader<WatchBatch> Batches { get; }

    /// <summary>
    /// Asks for a progress mark: once every event up to the store's current revision has been handed to
    /// <see cref="Batches"/>, an empty batch at that revision follows. Answers nothing while the watch is catching up.
    /// </summary>
    void RequestProgress();
}
