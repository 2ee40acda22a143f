using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// Sets one entry of a <c>status.conditions</c> list as apimachinery's <c>SetStatusCondition</c> and the HPA
/// controller's <c>setCondition</c> do: a new type is appended; status, reason and message are replaced; the
/// <c>lastTransitionTime</c> moves only when the status changes. (Job conditions also carry a probe time: see
/// <c>Jobs/JobConditions</c>.)
/// </summary>
internal static class StatusConditions
{
    /// <summary>Sets condition <paramref name="type"/> in <paramref name="conditions"/> and returns it.</summary>
    public static JsonObject Set(JsonArray conditions, string type, string status, string reason, string message, DateTimeOffset now)
    {
        if (Find(conditions, type) is not { } condition)
        {
            condition = new JsonObject { ["type"] = type, ["status"] = status, ["lastTransitionTime"] = PodState.Stamp(now) };
            conditions.Add((JsonNode)condition);
        }
        else if (condition.Str("status") != status)
        {
            condition["status"] = status;
            condition["lastTransitionTime"] = PodState.Stamp(now);
        }

        condition["reason"] = reason;
        condition["message"] = message;
        return condition;
    }

    public static JsonObject? Find(JsonArray? conditions, string type) =>
        (conditions ?? []).OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);
}
