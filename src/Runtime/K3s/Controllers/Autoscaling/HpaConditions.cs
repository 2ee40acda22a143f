using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

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

    public static void Set(JsonArray conditions, string type, bool status, string reason, string message, DateTimeOffset now)
    {
        var value = status ? "True" : "False";
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);
        if (existing is null)
        {
            conditions.Add((JsonNode)new JsonObject
            {
                ["type"] = type,
                ["status"] = value,
                ["lastTransitionTime"] = PodState.Stamp(now),
                ["reason"] = reason,
                ["message"] = message,
            });
            return;
        }

        if (existing.Str("status") != value)
        {
            existing["lastTransitionTime"] = PodState.Stamp(now);
        }

        existing["status"] = value;
        existing["reason"] = reason;
        existing["message"] = message;
    }

    public static JsonObject? Find(JsonArray? conditions, string type) =>
        (conditions ?? []).OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);
}
