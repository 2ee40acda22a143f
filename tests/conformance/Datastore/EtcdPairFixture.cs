namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// Two real etcd 3.4 servers, started once per test class: the harness's own check. If the script's two transcripts
/// differ here, the normalisation is wrong (or the script is racy), not our store.
/// </summary>
public sealed class EtcdPairFixture : IAsyncLifetime
{
    internal EtcdApiServer Reference { get; private set; } = null!;

    internal EtcdApiServer Candidate { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var a = EtcdApiServer.StartEtcdAsync("etcd 3.4 (a)", timeout.Token);
        var b = EtcdApiServer.StartEtcdAsync("etcd 3.4 (b)", timeout.Token);
        try
        {
            await Task.WhenAll(a, b);
        }
        catch
        {
            // Stop whichever did start: the test fails on the fixture, and nothing may outlive it.
            foreach (var started in new[] { a, b }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        (Reference, Candidate) = (a.Result, b.Result);
    }

    public async ValueTask DisposeAsync()
    {
        if (Reference is not null)
        {
            await Reference.DisposeAsync();
        }

        if (Candidate is not null)
        {
            await Candidate.DisposeAsync();
        }
    }
}
