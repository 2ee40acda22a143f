using System.Threading.Channels;
using Grpc.Core;
using K3sLab.K3s.Etcd;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// One store watch over etcd: one gRPC watch stream at a time on the preferred member. When the stream breaks (the
/// member died, lost its leader, or the connection dropped) the watch moves to the next member and resumes at the
/// first revision it has not delivered (<see cref="EtcdWatchCursor"/>), retrying with back-off for as long as it is
/// open; a resume point that was compacted meanwhile ends it with the canceled batch the contract names.
/// </summary>
/// <remarks>
/// One pump task owns the cursor, the stream and the output; the stream reader and <see cref="RequestProgress"/> only
/// post to its inbox, so progress marks are ordered with the events around them. <see cref="Batches"/> is bounded:
/// a slow reader stops the pump, HTTP/2 flow control stops the member, and etcd moves the watcher to catch up later.
/// </remarks>
internal sealed class EtcdClientWatch : IStoreWatch
{
    private const int QueueCapacity = 64;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly EtcdClientStore _store;
    private readonly WatchRequest _request;
    private readonly EtcdWatchCursor _cursor;
    private readonly Channel<WatchBatch> _out = Channel.CreateBounded<WatchBatch>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, SingleWriter = true });
    private readonly Channel<Item> _inbox = Channel.CreateBounded<Item>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _generation;
    private int _progressWanted;

    public EtcdClientWatch(EtcdClientStore store, WatchRequest request)
    {
        _store = store;
        _request = request;
        _cursor = new EtcdWatchCursor(request.StartRevision);
        _pump = Task.Run(PumpAsync);
    }

    public ChannelReader<WatchBatch> Batches => _out.Reader;

    /// <summary>Flags the request and wakes the pump; when the inbox is full the pump sees the flag after its next item.</summary>
    public void RequestProgress()
    {
        Interlocked.Exchange(ref _progressWanted, 1);
        _inbox.Writer.TryWrite(new Progress());
    }

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }

        _inbox.Writer.TryComplete();
    }

    private async Task PumpAsync()
    {
        var backoff = FirstBackoff;
        try
        {
            while (!_stop.IsCancellationRequested && !_cursor.Ended)
            {
                var member = _store.Members.Preferred;
                var generation = ++_generation;
                try
                {
                    using var call = member.Watch.Watch(_store.CallOptions(_stop.Token, Timeout.InfiniteTimeSpan));
                    var create = new Wire.WatchRequest { CreateRequest = WireMapping.ToWire(_request, _cursor.ResumeRevision) };
                    await call.RequestStream.WriteAsync(create, _stop.Token).ConfigureAwait(false);
                    _ = Task.Run(() => ForwardAsync(call.ResponseStream, generation), CancellationToken.None);
                    if (await ServeAsync(call, generation, member, () => backoff = FirstBackoff).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    var why = e is RpcException rpc ? EtcdRpcErrors.Classify(rpc, member.Display).Exception.Message : $"{e.GetType().Name}: {e.Message}";
                    _store.Members.Failed(member);
                    EtcdClientStore.Log.WatchResuming(_store.Logger, member.Display, _cursor.ResumeRevision, why);
                }

                await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (ChannelClosedException)
        {
            // Disposed while handing out a batch.
        }
        finally
        {
            _out.Writer.TryComplete();
        }
    }

    /// <summary>Serves one stream until it breaks (returns false: resume) or the watch ends (true).</summary>
    private async Task<bool> ServeAsync(AsyncDuplexStreamingCall<Wire.WatchRequest, Wire.WatchResponse> call, int generation, EtcdMember member, Action connected)
    {
        while (true)
        {
            var item = await _inbox.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _progressWanted, 0) == 1)
            {
                if (_store.ProgressOrdered)
                {
                    await call.RequestStream.WriteAsync(new Wire.WatchRequest { ProgressRequest = new Wire.WatchProgressRequest() }, _stop.Token).ConfigureAwait(false);
                }
                else if (_cursor.Mark() is { } mark)
                {
                    await _out.Writer.WriteAsync(mark, _stop.Token).ConfigureAwait(false);
                }
            }

            switch (item)
            {
                case Response r when r.Generation == generation:
                    _store.Observe(r.Message.Header);
                    if (r.Message.Created)
                    {
                        _cursor.Created(r.Message.Header.Revision);
                        connected();
                        if (!r.Message.Canceled)
                        {
                            break;
                        }
                    }

                    var m = r.Message;
                    if (m.CompactRevision != 0)
                    {
                        _store.ObserveCompacted(m.CompactRevision);
                    }

                    var batch = _cursor.Apply([.. m.Events.Select(WireMapping.FromWire)], m.Header.Revision, m.Canceled, m.CompactRevision, m.CancelReason, _store.ProgressOrdered);
                    if (batch is not null)
                    {
                        if (batch.Events.Count > 0)
                        {
                            _store.Observe(batch.Revision);
                        }

                        await _out.Writer.WriteAsync(batch, _stop.Token).ConfigureAwait(false);
                    }

                    if (_cursor.Ended)
                    {
                        return true;
                    }

                    break;
                case Broken b when b.Generation == generation:
                    if (b.Error is RpcException rpc)
                    {
                        throw rpc;
                    }

                    EtcdClientStore.Log.WatchResuming(_store.Logger, member.Display, _cursor.ResumeRevision, "the member closed the watch stream");
                    return false;
                default:
                    // A wake-up for a progress request (handled above), or an item of an earlier stream, which is gone.
                    break;
            }
        }
    }

    private async Task ForwardAsync(IAsyncStreamReader<Wire.WatchResponse> responses, int generation)
    {
        Exception? error = null;
        try
        {
            while (await responses.MoveNext(_stop.Token).ConfigureAwait(false))
            {
                await _inbox.Writer.WriteAsync(new Response(generation, responses.Current), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException)
        {
            return;
        }
        catch (Exception e)
        {
            // Whatever broke the stream (reset, refused, disposed), the pump resumes elsewhere or stops.
            error = e;
        }

        _inbox.Writer.TryWrite(new Broken(generation, error));
    }

    /// <summary>What the pump reacts to, in arrival order.</summary>
    private abstract record Item;

    private sealed record Progress : Item;

    private sealed record Response(int Generation, Wire.WatchResponse Message) : Item;

    private sealed record Broken(int Generation, Exception? Error) : Item;
}
