namespace K3sLab.K3s.Replication;

/// <summary>
/// Deliberate bugs a test can switch on with <c>K3SLAB_TEST_PLANTED_BUG</c>, so the chaos suite can prove its
/// checkers catch the failure they exist for (issue 10: "planted bugs are caught"). Off unless that variable names
/// one; a server with one on says so in its log at start. Never set it outside tests.
/// </summary>
internal static class PlantedBugs
{
    public const string Variable = "K3SLAB_TEST_PLANTED_BUG";

    /// <summary>The bug switched on, or null.</summary>
    public static string? Active { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? v : null;

    /// <summary>
    /// <c>stale-reads</c>: the replicated store serves every read from the member's local copy without the
    /// ReadIndex barrier, so a partitioned member answers with old data (etcd's serializable reads, by mistake).
    /// </summary>
    public static bool StaleReads { get; } = Active == "stale-reads";
}
