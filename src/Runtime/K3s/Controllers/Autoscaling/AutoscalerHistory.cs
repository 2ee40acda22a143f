namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>An unstabilized recommendation and when it was made.</summary>
internal readonly record struct TimestampedRecommendation(int Replicas, DateTimeOffset At);

/// <summary>A rescale by <see cref="Change"/> replicas (absolute); an outdated slot may be reused.</summary>
internal readonly record struct ScaleEvent(int Change, DateTimeOffset At, bool Outdated);

/// <summary>
/// What the controller remembers of one HPA between syncs (upstream's per-key <c>recommendations</c>,
/// <c>scaleUpEvents</c> and <c>scaleDownEvents</c>): lost on restart, dropped when the HPA is deleted. Not
/// thread-safe: the work queue never syncs one HPA on two workers at once.
/// </summary>
internal sealed class AutoscalerHistory
{
    public List<TimestampedRecommendation> Recommendations { get; } = [];

    public List<ScaleEvent> ScaleUps { get; } = [];

    public List<ScaleEvent> ScaleDowns { get; } = [];
}
