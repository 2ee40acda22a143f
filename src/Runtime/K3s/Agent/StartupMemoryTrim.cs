namespace K3sLab.K3s.Agent;

/// <summary>
/// Hands the memory of an agent's start back to the system once it has settled. Joining allocates what an idle agent
/// never needs again (the CA fetch, key generation, certificate requests, the first pod and node lists); a blocking,
/// compacting, aggressive collection some seconds later returns those pages, as Go's scavenger does for k3s. Runs once.
/// </summary>
internal static class StartupMemoryTrim
{
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
