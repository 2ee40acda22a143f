namespace K3sLab.ConformanceTests.Datastore;

/// <summary>Real etcd 3.4 (the reference) and our <c>k3s datastore serve</c> over SQLite, each empty, started once per test class.</summary>
public sealed class EtcdAndDatastoreFixture : IAsyncLifetime
{
    internal EtcdApiServer Etcd { get; private set; } = null!;

    internal EtcdApiServer Datastore { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // Publishing the runtime can take minutes when it is stale; the servers themselves start in seconds.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        var etcd = EtcdApiServer.StartEtcdAsync("etcd 3.4", timeout.Token);
        var datastore = EtcdApiServer.StartDatastoreAsync("k3s datastore serve (sqlite)", timeout.Token);
        try
        {
            await Task.WhenAll(etcd, datastore);
        }
        catch
        {
            // Stop whichever did start: the test fails on the fixture, and nothing may outlive it.
            foreach (var started in new[] { etcd, datastore }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        (Etcd, Datastore) = (etcd.Result, datastore.Result);
    }

    public async ValueTask DisposeAsync()
    {
        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
        }

        if (Datastore is not null)
        {
            await Datastore.DisposeAsync();
        }
    }
}
