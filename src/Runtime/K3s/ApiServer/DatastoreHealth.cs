using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer;

/// <summary>
/// kube-apiserver's <c>etcd</c> health check: a read of one key must answer within two seconds, so a store without
/// quorum or a stuck disk makes the server not ready quickly instead of hanging its clients.
/// </summary>
internal static class DatastoreHealth
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    /// <summary>Null when the store answered in time, otherwise why not.</summary>
    public static async Task<string?> CheckAsync(IRevisionedStore store, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Deadline);
        try
        {
            // On the thread pool: a store may do blocking work before its task returns (the SQL stores read
            // synchronously, and an unreachable PostgreSQL holds a read for its connect timeout), and the deadline
            // must hold all the same.
            await Task.Run(() => store.RangeAsync(new RangeQuery(KeyRange.Single("/registry/health"u8.ToArray())), timeout.Token), timeout.Token).WaitAsync(timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"the datastore did not answer within {Deadline.TotalSeconds:0} s";
        }
        catch (StoreException e)
        {
            return e.Message;
        }
    }
}
