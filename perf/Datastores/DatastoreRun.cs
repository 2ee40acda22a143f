using K3sLab.Perf.Api;

namespace K3sLab.Perf.Datastores;

/// <summary>What the api phases measured on one datastore, or why they could not run there.</summary>
internal sealed record DatastoreRun(string Word, string Name, ApiFigures? Figures, string? Error)
{
    /// <summary>The create phase with the most clients: the throughput figure the datastores are compared by.</summary>
    public PhaseRun? Create => Figures?.Creates.LastOrDefault();

    /// <summary>The watch fan-out with the fewest watchers.</summary>
    public WatchFanoutRun? Watch => Figures?.Watches.FirstOrDefault();

    /// <summary>Correctness failures: a refused or unsent request, a lost, repeated or reordered watch event.</summary>
    public IReadOnlyList<string> Failures => Error is not null ? [Error] : Figures is null ? [] : ApiGoals.Failures(Figures);
}
