namespace K3sLab.K3s.Store.Watch;

/// <summary>
/// Fans committed changes out to watchers (etcd's watchable store). The event source calls <see cref="Publish"/>
/// with every revision, in order, exactly once; synced watchers get them at once, watchers that are behind (a
/// start revision in the past, or a full queue) are fed from <see cref="IWatchHistory"/> by one sync loop until
/// they catch up. One slow watcher never blocks the publisher or the other watchers; a watcher whose next
/// revision has been compacted away ends with a canceled batch carrying the compacted revision.
/// </summary>
internal sealed partial class WatchHub : IAsyncDisposable
{
    private const int MaxEventsPerBatch = 1000;

    private readonly object _gate = new();
    private readonly HashSet<HubWatcher> _synced = [];
    private readonly HashSet<HubWatcher> _unsynced = [];
    private readonly IWatchHistory _history;
    private readonly SemaphoreSlim _syncSignal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _syncLoop;
    private long _revision;

    public WatchHub(IWatchHistory history, long revision, ILogger logger)
    {
        _history = history;
        _revision = revision;
        _logger = logger;
        _syncLoop = Task.Run(SyncLoopAsync);
    }

    /// <summary>Every change up to this revision has been published.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _synced.Count + _unsynced.Count;
            }
        }
    }

    /// <summary>Adds a watcher starting at <paramref name="next"/> (the store resolves a start revision of 0 to its current revision + 1).</summary>
    public IStoreWatch Add(WatchRequest request, long next)
    {
        var watcher = new HubWatcher(this, request, next);
        lock (_gate)
        {
            var compacted = _history.CompactRevision;
            if (request.StartRevision != 0 && next < compacted)
            {
                watcher.Close(Compacted(compacted));
                return watcher;
            }

            if (next > _revision)
            {
                watcher.Synced = true;
                _synced.Add(watcher);
                return watcher;
            }

            _unsynced.Add(watcher);
        }

        _syncSignal.Release();
        return watcher;
    }

    /// <summary>Hands out the changes of the revisions after <see cref="Revision"/> through <paramref name="revision"/>.</summary>
    public void Publish(IReadOnlyList<StoredEvent> events, long revision)
    {
        var fellBehind = false;
        lock (_gate)
        {
            _revision = revision;
            foreach (var watcher in _synced)
            {
                var selected = watcher.Select(events);
                if (selected.Count == 0 || Deliver(watcher, selected, revision))
                {
                    watcher.Next = Math.Max(watcher.Next, revision + 1);
                    MaybeProgress(watcher);
                    continue;
                }

                watcher.Synced = false;
                _unsynced.Add(watcher);
                fellBehind = true;
            }

            if (fellBehind)
            {
                _synced.RemoveWhere(w => !w.Synced);
            }
        }

        if (fellBehind)
        {
            _syncSignal.Release();
        }
    }

    public void RequestProgress(HubWatcher watcher)
    {
        lock (_gate)
        {
            watcher.ProgressWanted = true;
            if (watcher.Synced)
            {
                MaybeProgress(watcher);
            }
        }
    }

    public void Remove(HubWatcher watcher)
    {
        lock (_gate)
        {
            _synced.Remove(watcher);
            _unsynced.Remove(watcher);
            watcher.Close(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _syncSignal.Release();
        await _syncLoop.ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var watcher in _synced.Concat(_unsynced))
            {
                watcher.Close(new WatchBatch([], _revision) { CancelReason = "the datastore is shutting down" });
            }

            _synced.Clear();
            _unsynced.Clear();
        }

        _stop.Dispose();
        _syncSignal.Dispose();
    }

    private static WatchBatch Compacted(long compacted) =>
        new([], compacted) { CompactRevision = compacted, CancelReason = "mvcc: required revision has been compacted" };

    /// <summary>Queues the events in batches of at most <see cref="MaxEventsPerBatch"/>, never splitting a revision across a full queue: all or nothing.</summary>
    private static bool Deliver(HubWatcher watcher, List<WatchEvent> selected, long through)
    {
        if (selected.Count <= MaxEventsPerBatch)
        {
            return watcher.TryEnqueue(new WatchBatch(selected, through));
        }

        var chunks = selected.Chunk(MaxEventsPerBatch).ToList();
        if (HubWatcher.QueueCapacity - watcher.Queued < chunks.Count)
        {
            return false;
        }

        foreach (var chunk in chunks)
        {
            watcher.TryEnqueue(new WatchBatch(chunk, through));
        }

        return true;
    }

    private void MaybeProgress(HubWatcher watcher)
    {
        if (watcher.ProgressWanted && watcher.TryEnqueue(new WatchBatch([], _revision)))
        {
            watcher.ProgressWanted = false;
        }
    }

    private async Task SyncLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _syncSignal.WaitAsync(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
                await SyncOnceAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogSyncFailed(_logger, e.Message);
            }
        }
    }

    private async Task SyncOnceAsync(CancellationToken token)
    {
        List<HubWatcher> behind;
        long target;
        lock (_gate)
        {
            behind = [.. _unsynced.Where(w => w.Queued < HubWatcher.QueueCapacity / 2)];
            target = _revision;
        }

        // Watchers at the same revision share one history read.
        foreach (var group in behind.GroupBy(w => w.Next))
        {
            var from = group.Key;
            var compacted = _history.CompactRevision;
            if (from < compacted)
            {
                lock (_gate)
                {
                    foreach (var watcher in group)
                    {
                        _unsynced.Remove(watcher);
                        watcher.Close(Compacted(compacted));
                    }
                }

                continue;
            }

            var (events, through) = from > target ? ([], target) : await _history.ReadAsync(from, target, token).ConfigureAwait(false);
            lock (_gate)
            {
                foreach (var watcher in group)
                {
                    if (watcher.Closed || watcher.Next != from)
                    {
                        continue;
                    }

                    var selected = watcher.Select(events);
                    if (selected.Count > 0 && !Deliver(watcher, selected, through))
                    {
                        continue;
                    }

                    watcher.Next = through + 1;
                    if (watcher.Next > _revision)
                    {
                        _unsynced.Remove(watcher);
                        watcher.Synced = true;
                        _synced.Add(watcher);
                        MaybeProgress(watcher);
                    }
                }
            }

            if (through < target)
            {
                _syncSignal.Release();
            }
        }

        lock (_gate)
        {
            if (_unsynced.Any(w => w.Next <= _revision && w.Queued < HubWatcher.QueueCapacity / 2))
            {
                _syncSignal.Release();
            }
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Catching up watchers from history failed, will retry: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, string reason);
}
