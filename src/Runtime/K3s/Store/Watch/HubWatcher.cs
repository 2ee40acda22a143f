using System.Threading.Channels;

namespace K3sLab.K3s.Store.Watch;

/// <summary>
/// One watcher of the <see cref="WatchHub"/>. <see cref="Next"/> is the first revision it still has to deliver;
/// while synced, the hub pushes new changes straight into its bounded queue; when the queue is full it becomes
/// unsynced and the hub's sync loop feeds it from history until it has caught up. State is guarded by the hub.
/// </summary>
internal sealed class HubWatcher : IStoreWatch
{
    /// <summary>Batches a watcher may hold undelivered before it is switched to catching up from history.</summary>
    public const int QueueCapacity = 64;

    private readonly WatchHub _hub;
    private readonly Channel<WatchBatch> _queue = Channel.CreateBounded<WatchBatch>(new BoundedChannelOptions(QueueCapacity) { SingleWriter = false, SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public HubWatcher(WatchHub hub, WatchRequest request, long next)
    {
        _hub = hub;
        Request = request;
        Next = next;
    }

    public WatchRequest Request { get; }

    public long Next { get; set; }

    public bool Synced { get; set; }

    public bool ProgressWanted { get; set; }

    public bool Closed { get; private set; }

    public int Queued => _queue.Reader.Count;

    public ChannelReader<WatchBatch> Batches => _queue.Reader;

    public void RequestProgress() => _hub.RequestProgress(this);

    public void Dispose() => _hub.Remove(this);

    public bool Matches(WatchEvent e) =>
        Request.Range.Contains(e.Kv.Key) && !(e.IsDelete ? Request.NoDelete : Request.NoPut);

    /// <summary>The events of <paramref name="events"/> this watcher wants, from <see cref="Next"/> on, shaped for it.</summary>
    public List<WatchEvent> Select(IReadOnlyList<StoredEvent> events)
    {
        var selected = new List<WatchEvent>();
        foreach (var stored in events)
        {
            if (stored.Revision >= Next && Matches(stored.Event))
            {
                selected.Add(Request.PrevKv || stored.Event.PrevKv is null ? stored.Event : stored.Event with { PrevKv = null });
            }
        }

        return selected;
    }

    public bool TryEnqueue(WatchBatch batch) => !Closed && _queue.Writer.TryWrite(batch);

    /// <summary>Ends the watch, after a last canceled batch when <paramref name="final"/> is given.</summary>
    public void Close(WatchBatch? final)
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        if (final is not null)
        {
            // The final batch must get through even when the queue is full: drop what is queued, the watch ends anyway.
            while (!_queue.Writer.TryWrite(final) && _queue.Reader.TryRead(out _))
            {
            }
        }

        _queue.Writer.TryComplete();
    }
}
