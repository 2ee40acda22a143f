namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>One three-member cluster shared by the non-destructive tests of a class.</summary>
public sealed class ReplicatedClusterFixture : IAsyncLifetime
{
    internal ReplicatedCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // Publishing the runtime can take minutes when it is stale; the members themselves start in seconds.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        Cluster = await ReplicatedCluster.StartAsync(3, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
