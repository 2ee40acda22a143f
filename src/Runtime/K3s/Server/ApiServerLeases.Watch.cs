using System.Text;
using System.Threading.Channels;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Server;

/// <summary>
/// Reconciling as soon as the set of leases changes. kube-apiserver only polls (every 10 s), so a dead server stayed
/// in the endpoints for up to 10 s after its lease ran out, and in kube-dns's endpoints a third of the cluster's DNS
/// lookups went on timing out meanwhile. Each server also watches the lease keys: a key that appears (a server
/// started) or goes away (a lease ran out, or a server shut down) starts a reconcile at once. The 10 s tick still
/// renews the lease and reconciles, so a watch that broke loses nothing but time.
/// </summary>
internal sealed partial class ApiServerLeases
{
    private static readonly TimeSpan WatchRetry = TimeSpan.FromSeconds(1);

    // At most one pending signal: a burst of changes makes one reconcile, which reads every lease anyway.
    private readonly Channel<bool> _leasesChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private async Task WatchLeasesAsync()
    {
        var range = KeyRange.Prefix(Encoding.UTF8.GetBytes(Prefix));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var watch = Store.Watch(new WatchRequest(range));
                await foreach (var batch in watch.Batches.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                {
                    if (batch.IsCanceled || batch.CompactRevision != 0)
                    {
                        break;
                    }

                    if (batch.Events.Count > 0)
                    {
                        _leasesChanged.Writer.TryWrite(true);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e)
            {
                Log.WatchFailed(_logger, e.Message);
            }

            // The watch ended (compacted past, or the store gave up on it): what changed meanwhile is read by a
            // reconcile, and a new watch starts from then on.
            _leasesChanged.Writer.TryWrite(true);
            try
            {
                await Task.Delay(WatchRetry, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
