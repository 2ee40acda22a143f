using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// Compacts the datastore as kube-apiserver does (<c>--etcd-compaction-interval</c>, default 5 minutes): on each
/// tick it compacts to the revision it saw on the previous tick, so at least one interval of history stays for
/// watches to resume from, and a watch or list from an older revision gets 410 Expired. A zero interval disables it.
/// </summary>
internal sealed partial class StoreCompactor : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public StoreCompactor(IRevisionedStore store, TimeSpan interval, TimeProvider time, ILogger logger) =>
        _loop = interval <= TimeSpan.Zero ? Task.CompletedTask : Task.Run(() => RunAsync(store, interval, time, logger, _stop.Token), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async Task RunAsync(IRevisionedStore store, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var previous = store.CurrentRevision;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var current = store.CurrentRevision;
                if (previous > 1)
                {
                    try
                    {
                        await store.CompactAsync(previous, ct).ConfigureAwait(false);
                        Log.Compacted(logger, previous);
                    }
                    catch (StoreException e) when (e.Error == StoreError.Compacted)
                    {
                        // Already compacted that far (by etcdctl, or another server of the cluster).
                    }
                    catch (StoreException e)
                    {
                        Log.Failed(logger, previous, e.Message);
                    }
                }

                previous = current;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "compacted the datastore to revision {Revision}")]
        public static partial void Compacted(ILogger logger, long revision);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not compact the datastore to revision {Revision}: {Error}")]
        public static partial void Failed(ILogger logger, long revision, string error);
    }
}
