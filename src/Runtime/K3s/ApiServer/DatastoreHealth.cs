using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer;

/// <summary>
/// <c>/readyz</c> with kube-apiserver's datastore check: a read of one key must answer within two seconds, so a
/// store without quorum or a stuck disk makes the server not ready quickly instead of hanging its clients.
/// </summary>
internal static class DatastoreHealth
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    public static async Task WriteReadyzAsync(HttpContext context, IRevisionedStore store)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(Deadline);
        string? failure = null;
        try
        {
            // On the thread pool: a store may do blocking work before its task returns (the SQL stores read
            // synchronously, and an unreachable PostgreSQL holds a read for its connect timeout), and the deadline
            // must hold all the same.
            await Task.Run(() => store.RangeAsync(new RangeQuery(KeyRange.Single("/registry/health"u8.ToArray())), timeout.Token), timeout.Token).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            failure = $"the datastore did not answer within {Deadline.TotalSeconds:0} s";
        }
        catch (StoreException e)
        {
            failure = e.Message;
        }

        if (failure is null)
        {
            await context.Response.WriteAsync("ok", context.RequestAborted);
            return;
        }

        context.Response.StatusCode = 500;
        await context.Response.WriteAsync($"[-]etcd failed: {failure}\nreadyz check failed\n", context.RequestAborted);
    }
}
