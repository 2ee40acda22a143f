using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s;

/// <summary>
/// Deliberate bugs a test can switch on with <c>K3SLAB_TEST_PLANTED_BUG</c>, so the chaos suite can prove its
/// checkers catch the failure they exist for (issue 10: "planted bugs are caught"), and so the allocation gate can
/// prove it fails on a regression (issue 11). Off unless that variable names one; a server or agent with one on says
/// so in its log at start. Never set it outside tests.
/// </summary>
internal static class PlantedBugs
{
    public const string Variable = "K3SLAB_TEST_PLANTED_BUG";

    /// <summary>Every bug that can be planted, for the start-up warning and for refusing a misspelt name.</summary>
    public static IReadOnlyList<string> Known { get; } = ["stale-reads", "ack-before-commit", "never-fail-back", "perf-extra-allocation", "ack-before-fsync"];

    /// <summary>The bug switched on, or null.</summary>
    public static string? Active { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? v : null;

    /// <summary>
    /// <c>stale-reads</c>: the replicated store serves every read from the member's local copy without the
    /// ReadIndex barrier, so a partitioned member answers with old data (etcd's serializable reads, by mistake).
    /// </summary>
    public static bool StaleReads { get; } = Active == "stale-reads";

    /// <summary>
    /// <c>ack-before-commit</c>: a Raft leader counts an entry committed as soon as it holds the entry itself, so it
    /// applies and acknowledges writes no quorum has; a leader cut off from the others keeps acknowledging writes
    /// until it steps down, and those writes are gone once a new leader's log replaces them.
    /// </summary>
    public static bool AckBeforeCommit { get; } = Active == "ack-before-commit";

    /// <summary>
    /// <c>never-fail-back</c>: the agent load balancer never again uses a server it saw fail or leave the server list,
    /// so an agent whose servers each had an outage in turn runs out of servers even though all of them are back.
    /// </summary>
    public static bool NeverFailBack { get; } = Active == "never-fail-back";

    /// <summary>
    /// <c>perf-extra-allocation</c>: a LIST copies every stored object before writing it out (a defensive copy nobody
    /// needs), one extra array per listed object; the allocation gate (<c>k3slab bench gate</c> on the micro-benchmarks)
    /// exists to catch exactly this kind of slip.
    /// </summary>
    public static bool PerfExtraAllocation { get; } = Active == "perf-extra-allocation";

    /// <summary>
    /// <c>ack-before-fsync</c>: the datastore acknowledges writes it has written but not fsynced (the Raft WAL skips its
    /// fsync; SQLite runs with synchronous=OFF). Nothing shows until the page cache is lost with the power: then
    /// acknowledged writes are gone, which a power loss on a lossy disk (<c>disk: lossy</c>) exposes.
    /// </summary>
    public static bool AckBeforeFsync { get; } = Active == "ack-before-fsync";

    /// <summary>Refuses to start with a name that plants nothing, so a misspelt test fails loudly instead of passing.</summary>
    public static void ThrowIfUnknown()
    {
        if (Active is { } name && !Known.Contains(name))
        {
            throw new BootstrapException($"{Variable}={name} names no planted bug (known: {string.Join(", ", Known)})");
        }
    }
}
