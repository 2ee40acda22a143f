using Grpc.Core;
using K3sLab.Scenarios.Chaos.Workloads.Store.Wire;
using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Chaos.Workloads.Store;

/// <summary>The store workload's watchers, and the replay of the keys' history the watch check compares them with.</summary>
internal sealed partial class StoreWorkload
{
    /// <summary>
    /// The prefix's committed history since the workload started, replayed by one watch through
    /// <paramref name="server"/> up to the revision the member reports now; null when it cannot be had in time.
    /// </summary>
    public async Task<IReadOnlyList<WatchEvent>?> HistoryAsync(string server, TimeSpan within, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        try
        {
            // The workload never deletes, so the newest mod revision under the run's prefix is its last event.
            var all = await new KV.KVClient(_endpoints!.For(server)).RangeAsync(new RangeRequest { Key = Wire(RunPrefix), RangeEnd = RunPrefixEnd }, deadline: DateTime.UtcNow + within, cancellationToken: timeout.Token);
            var until = all.Kvs.Select(k => k.ModRevision).DefaultIfEmpty(0).Max();
            var events = new List<WatchEvent>();
            if (until == 0)
            {
                return events;
            }

            using var call = new Watch.WatchClient(_endpoints.For(server)).Watch(cancellationToken: timeout.Token);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = Wire(RunPrefix), RangeEnd = RunPrefixEnd, StartRevision = _startRevision + 1 } }, timeout.Token);
            while ((events.Count == 0 || events[^1].Revision < until) && await call.ResponseStream.MoveNext(timeout.Token))
            {
                var response = call.ResponseStream.Current;
                if (response.Canceled)
                {
                    return null;
                }

                events.AddRange(response.Events.Select(Event));
            }

            return events;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task WatchLoopAsync(string name, IReadOnlyList<string> via, int first, CancellationToken stop)
    {
        var next = _startRevision + 1;
        for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
        {
            var server = via[(first + attempt) % via.Count];
            try
            {
                using var call = new Watch.WatchClient(_endpoints!.For(server)).Watch(cancellationToken: stop);
                await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = Wire(RunPrefix), RangeEnd = RunPrefixEnd, StartRevision = next, ProgressNotify = true } }, stop);
                Add(name, WatchStreamItem.Start(next));
                while (await call.ResponseStream.MoveNext(stop))
                {
                    var response = call.ResponseStream.Current;
                    if (response.Canceled)
                    {
                        _record.Event("note", $"store watch {name} on {server} canceled at revision {next}: {response.CancelReason} (compacted at {response.CompactRevision})");
                        return;
                    }

                    if (response.Events.Count > 0)
                    {
                        var events = response.Events.Select(Event).ToArray();
                        Add(name, WatchStreamItem.Response(events));
                        next = events[^1].Revision + 1;
                    }
                    else if (!response.Created && response.Header.Revision >= next)
                    {
                        // A progress notification: every event up to the header's revision was delivered.
                        Add(name, WatchStreamItem.Progress(response.Header.Revision));
                        next = response.Header.Revision + 1;
                    }
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    private void Add(string name, WatchStreamItem item)
    {
        lock (_streams)
        {
            _streams[name].Add(item);
        }
    }

    private static WatchEvent Event(Event e) =>
        new(e.Kv.ModRevision, e.Kv.Key.ToStringUtf8()[Prefix.Length..], e.Type == Store.Wire.Event.Types.EventType.Delete ? null : e.Kv.Value.ToStringUtf8());
}
