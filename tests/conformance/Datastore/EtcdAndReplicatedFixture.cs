namespace K3sLab.ConformanceTests.Datastore;

/// <summary>Real etcd 3.4 (the reference) and our replicated datastore (one Raft member), each empty, started once per test class.</summary>
public sealed class EtcdAndReplicatedFixture : IAsyncLifetime
{
    internal EtcdApiServer Etcd { get; private set; } = null!;

    internal EtcdApiServer Replicated { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        var etcd = EtcdApiServer.StartEtcdAsync("etcd 3.4", timeout.Token);
        var replicated = EtcdApiServer.StartReplicatedAsync("k3s datastore member (raft)", timeout.Token);
        try
        {
            await Task.WhenAll(etcd, replicated);
        }
        catch
        {
            foreach (var started in new[] { etcd, replicated }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        (Etcd, Replicated) = (etcd.Result, replicated.Result);
    }

    public async ValueTask DisposeAsync()
    {
        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
        }

        if (Replicated is not null)
        {
            await Replicated.DisposeAsync();
        }
    }
}
