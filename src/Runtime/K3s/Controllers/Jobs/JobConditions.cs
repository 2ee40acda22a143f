using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>A Job's <c>status.conditions</c>: reading them and setting one as the Job controller does.</summary>
internal static class JobConditions
{
    public static bool IsTrue(JsonObject? status, string type) =>
        status.Arr("conditions").Items().Any(i => i.Item.Str("type") == type && i.Item.Str("status") == "True");

    /// <summary>Whether the Job has finished: Complete or Failed is True.</summary>
    public static bool IsFinished(JsonObject? status) => IsTrue(status, "Complete") || IsTrue(status, "Failed");

    public static JsonObject? Find(JsonObject? status, string type) =>
        status.Arr("conditions").Items().Select(i => i.Item).OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);

    /// <summary>Sets condition <paramref name="type"/>; its transition time moves only when its status changes.</summary>
    public static void Set(JsonObject status, string type, string value, string reason, string message, DateTimeOffset now)
    {
        if (status["conditions"] is not JsonArray conditions)
        {
            status["conditions"] = conditions = [];
        }

        var stamp = PodState.Stamp(now);
        if (Find(status, type) is { } existing)
        {
            if (existing.Str("status") == value && existing.Str("reason") == reason && existing.Str("message") == message)
            {
                return;
            }

            if (existing.Str("status") != value)
            {
                existing["lastTransitionTime"] = stamp;
            }

            existing["status"] = value;
            existing["reason"] = reason;
            existing["message"] = message;
            existing["lastProbeTime"] = stamp;
            return;
        }

        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = type,
            ["status"] = value,
            ["lastProbeTime"] = stamp,
            ["lastTransitionTime"] = stamp,
            ["reason"] = reason,
            ["message"] = message,
        });
    }
}
