using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// What one HPA sync decided. When <see cref="Rescale"/> is set, the caller writes that replica count to the
/// target's scale subresource and then settles the plan with <see cref="AutoscalerPlanner.Rescaled"/> or
/// <see cref="AutoscalerPlanner.RescaleFailed"/>, which give the final plan; until then <see cref="Status"/> is
/// not final. With <see cref="Rescale"/> null: write <see cref="Status"/> to the status subresource if
/// <see cref="StatusChanged"/>, record <see cref="Events"/> in order, and log <see cref="Error"/> (upstream's sync
/// error) if set. Every HPA is synced again after the sync period whatever happened.
/// </summary>
internal sealed record AutoscalerPlan(JsonObject Status, bool StatusChanged, int? Rescale, IReadOnlyList<AutoscalerEvent> Events, string? Error)
{
    /// <summary>What settling a rescale needs; set only with <see cref="Rescale"/>.</summary>
    internal PendingRescale? Pending { get; init; }
}

/// <summary>A rescale about to be written, and what its outcome changes in the status and history.</summary>
internal sealed record PendingRescale(
    JsonObject Hpa, JsonArray Conditions, int Current, int Desired, string Reason, JsonArray? Statuses, ScalingRules? Up, ScalingRules? Down, string Reference);
