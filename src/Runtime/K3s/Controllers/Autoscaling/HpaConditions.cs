using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// An HPA's <c>status.conditions</c> (AbleToScale, ScalingActive, ScalingLimited) as upstream's <c>setCondition</c>
/// keeps them: a new type is appended; reason and message are always replaced; <c>lastTransitionTime</c> moves
/// only when the status changes.
/// </summary>
internal static class HpaConditions
{
    public const string AbleToScale = "AbleToScale";
    public const string ScalingActive = "ScalingActive";
    public const string ScalingLimited = "ScalingLimited";

    public static void Set(JsonArray conditions, string type, bool status, string reason, string message, DateTimeOffset now) =>
        StatusConditions.Set(conditions, type, status ? "True" : "False", reason, message, now);
}
