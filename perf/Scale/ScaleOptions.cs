namespace K3sLab.Perf.Scale;

/// <summary>
/// How hard the <c>scale</c> suite pushes: hollow nodes in one process, then a heartbeat-only window and a churn
/// window in which pods are created at <see cref="PodsPerSecond"/> and deleted <see cref="PodLifetime"/> later,
/// while each API probe runs at <see cref="ProbeRate"/> requests per second.
/// </summary>
internal sealed record ScaleOptions(int Nodes, TimeSpan Settle, TimeSpan Quiet, TimeSpan Churn, double PodsPerSecond, TimeSpan PodLifetime, double ProbeRate)
{
    /// <summary>Issue 11's goal: 500 hollow nodes.</summary>
    public static ScaleOptions Full { get; } = new(500, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60), 5, TimeSpan.FromSeconds(15), 5);

    /// <summary>A shorter run for development.</summary>
    public static ScaleOptions Quick { get; } = Full with { Nodes = 100, Settle = TimeSpan.FromSeconds(10), Churn = TimeSpan.FromSeconds(30) };

    /// <summary>The Kubernetes API call latency SLO this suite checks against.</summary>
    public static TimeSpan ApiSlo { get; } = TimeSpan.FromSeconds(1);
}
