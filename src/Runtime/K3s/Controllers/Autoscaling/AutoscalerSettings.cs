namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// The horizontal-pod-autoscaler controller's kube-controller-manager flags, at upstream's defaults:
/// <c>--horizontal-pod-autoscaler-sync-period</c> (15 s), <c>--horizontal-pod-autoscaler-tolerance</c> (0.1),
/// <c>--horizontal-pod-autoscaler-cpu-initialization-period</c> (5 min),
/// <c>--horizontal-pod-autoscaler-initial-readiness-delay</c> (30 s) and
/// <c>--horizontal-pod-autoscaler-downscale-stabilization</c> (5 min).
/// </summary>
internal sealed record AutoscalerSettings
{
    public static AutoscalerSettings Default { get; } = new();

    /// <summary>How often each HPA is synced.</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The usage ratio's distance from 1 within which nothing changes (both directions, unless a rule sets its own).</summary>
    public double Tolerance { get; init; } = 0.1;

    /// <summary>After a pod starts, how long its CPU samples are trusted only once a full window follows readiness.</summary>
    public TimeSpan CpuInitializationPeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After a pod starts, how long an unready pod still counts as never having been ready.</summary>
    public TimeSpan InitialReadinessDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The scale-down stabilization window when no behavior (or no scale-down window) is given.</summary>
    public TimeSpan DownscaleStabilization { get; init; } = TimeSpan.FromMinutes(5);
}
