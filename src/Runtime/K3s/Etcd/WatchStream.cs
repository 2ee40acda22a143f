using System.Threading.Channels;
using Grpc.Core;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// The watches of one gRPC stream, as etcd's serverWatchStream: create (IDs chosen from 0 up unless the client
/// picks one), cancel, and progress requests. Responses leave through one bounded queue and one writer, so a
/// client that reads slowly holds up only its own watches, which then catch up from the store's history.
/// </summary>
internal sealed class WatchStream : IAsyncDisposable
{
    private readonly EtcdEndpoint _endpoint;
    private readonly IServerStreamWriter<Wire.WatchResponse> _responses;
    private readonly Channel<Wire.WatchResponse> _outgoing = Channel.CreateBounded<Wire.WatchResponse>(new BoundedChannelOptions(256) { SingleReader = true });
    private readonly Dictionary<long, Entry> _watches = [];
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop;
    private readonly Task _writer;
    private readonly ITimer _progressTimer;
    private long _nextId;
    private int _streamProgressPending;
    private long _streamProgressRevision = long.MaxValue;

    private sealed record Entry(IStoreWatch Watch, bool ProgressNotify, Task Pump)
    {
        public bool AwaitingStreamProgress { get; set; }
    }

    public WatchStream(EtcdEndpoint endpoint, IServerStreamWriter<Wire.WatchResponse> responses, TimeProvider time, TimeSpan progressInterval, CancellationToken cancellationToken)
    {
        _endpoint = endpoint;
        _responses = responses;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _writer = Task.Run(WriteLoopAsync);
        _progressTimer = time.CreateTimer(_ => NotifyProgress(), null, progressInterval, progressInterval);
    }

    public async Task HandleAsync(Wire.WatchRequest request)
    {
        switch (request.RequestUnionCase)
        {
            case Wire.WatchRequest.RequestUnionOneofCase.CreateRequest:
                await CreateAsync(request.CreateRequest).ConfigureAwait(false);
                break;
            case Wire.WatchRequest.RequestUnionOneofCase.CancelRequest:
                await CancelAsync(request.CancelRequest.WatchId).ConfigureAwait(false);
                break;
            case Wire.WatchRequest.RequestUnionOneofCase.ProgressRequest:
                await RequestProgressAsync().ConfigureAwait(false);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _progressTimer.DisposeAsync().ConfigureAwait(false);
        List<Entry> entries;
        lock (_gate)
        {
            entries = [.. _watches.Values];
            _watches.Clear();
        }

        foreach (var entry in entries)
        {
            entry.Watch.Dispose();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _outgoing.Writer.TryComplete();
        await Task.WhenAll(entries.Select(e => e.Pump).Append(_writer)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task CreateAsync(Wire.WatchCreateRequest create)
    {
        var key = create.Key.Length == 0 ? [0] : create.Key.ToByteArray();
        var current = _endpoint.Store.CurrentRevision;
        if (create.StartRevision < 0)
        {
            await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(current), WatchId = -1, Created = true, Canceled = true, CancelReason = "etcdserver: mvcc: required revision has been compacted" }).ConfigureAwait(false);
            return;
        }

        long id;
        lock (_gate)
        {
            id = create.WatchId;
            if (id != 0 && _watches.ContainsKey(id))
            {
                id = -1;
            }
            else if (id == 0)
            {
                while (_watches.ContainsKey(_nextId))
                {
                    _nextId++;
                }

                id = _nextId++;
            }
        }

        if (id == -1)
        {
            await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(current), WatchId = -1, Created = true, Canceled = true, CancelReason = "mvcc: duplicate watch ID provided on the WatchStream" }).ConfigureAwait(false);
            return;
        }

        var request = new WatchRequest(new KeyRange(key, create.RangeEnd.ToByteArray()), create.StartRevision)
        {
            PrevKv = create.PrevKv,
            NoPut = create.Filters.Contains(Wire.WatchCreateRequest.Types.FilterType.Noput),
            NoDelete = create.Filters.Contains(Wire.WatchCreateRequest.Types.FilterType.Nodelete),
        };
        IStoreWatch watch;
        try
        {
            watch = _endpoint.Store.Watch(request);
        }
        catch (StoreException e)
        {
            await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(current), WatchId = -1, Created = true, Canceled = true, CancelReason = EtcdErrors.ToRpc(e).Status.Detail }).ConfigureAwait(false);
            return;
        }

        // The created answer goes out before any event of the watch: the pump starts after it is queued.
        await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(current), WatchId = id, Created = true }).ConfigureAwait(false);
        lock (_gate)
        {
            _watches[id] = new Entry(watch, create.ProgressNotify, Task.Run(() => PumpAsync(id, watch)));
        }
    }

    private async Task CancelAsync(long id)
    {
        Entry? entry;
        lock (_gate)
        {
            _watches.Remove(id, out entry);
        }

        if (entry is null)
        {
            return;
        }

        entry.Watch.Dispose();
        await entry.Pump.ConfigureAwait(false);
        await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(_endpoint.Store.CurrentRevision), WatchId = id, Canceled = true }).ConfigureAwait(false);
    }

    /// <summary>
    /// One answer for the whole stream (watch ID -1), sent only once every watch on it has delivered everything up
    /// to the revision it reports, so a client may trust that no older event is still on its way.
    /// </summary>
    private async Task RequestProgressAsync()
    {
        List<Entry> entries;
        lock (_gate)
        {
            entries = [.. _watches.Values];
            if (entries.Count > 0)
            {
                _streamProgressPending = entries.Count;
                foreach (var entry in entries)
                {
                    entry.AwaitingStreamProgress = true;
                }
            }
        }

        if (entries.Count == 0)
        {
            await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(_endpoint.Store.CurrentRevision), WatchId = -1 }).ConfigureAwait(false);
            return;
        }

        foreach (var entry in entries)
        {
            entry.Watch.RequestProgress();
        }
    }

    private void NotifyProgress()
    {
        lock (_gate)
        {
            foreach (var entry in _watches.Values.Where(e => e.ProgressNotify))
            {
                entry.Watch.RequestProgress();
            }
        }
    }

    private async Task PumpAsync(long id, IStoreWatch watch)
    {
        var token = _stop.Token;
        try
        {
            await foreach (var batch in watch.Batches.ReadAllAsync(token).ConfigureAwait(false))
            {
                var response = new Wire.WatchResponse { Header = _endpoint.Header(batch.Revision), WatchId = id };
                if (batch.IsCanceled)
                {
                    response.Canceled = true;
                    response.CompactRevision = batch.CompactRevision;
                    if (batch.CompactRevision == 0)
                    {
                        response.CancelReason = batch.CancelReason;
                    }

                    await SendAsync(response).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _watches.Remove(id);
                    }

                    return;
                }

                if (batch.Events.Count == 0)
                {
                    // A progress mark: either this watch's part of a stream-wide answer, or its own notification.
                    bool complete;
                    var revision = batch.Revision;
                    lock (_gate)
                    {
                        if (!_watches.TryGetValue(id, out var entry) || !entry.AwaitingStreamProgress)
                        {
                            complete = false;
                        }
                        else
                        {
                            entry.AwaitingStreamProgress = false;
                            _streamProgressRevision = Math.Min(_streamProgressRevision, batch.Revision);
                            complete = --_streamProgressPending == 0;
                            if (!complete)
                            {
                                continue;
                            }

                            revision = _streamProgressRevision;
                            _streamProgressRevision = long.MaxValue;
                        }
                    }

                    if (complete)
                    {
                        await SendAsync(new Wire.WatchResponse { Header = _endpoint.Header(revision), WatchId = -1 }).ConfigureAwait(false);
                        continue;
                    }

                    await SendAsync(response).ConfigureAwait(false);
                    continue;
                }

                foreach (var e in batch.Events)
                {
                    response.Events.Add(WireMapping.Event(e));
                }

                await SendAsync(response).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    private ValueTask SendAsync(Wire.WatchResponse response) => _outgoing.Writer.WriteAsync(response, _stop.Token);

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var response in _outgoing.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                await _responses.WriteAsync(response, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away; DisposeAsync cleans up the watches.
        }
    }
}
