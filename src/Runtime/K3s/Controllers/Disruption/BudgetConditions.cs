using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>
/// A budget's <c>DisruptionAllowed</c> condition (policy/v1): True with reason <c>SufficientPods</c> while a disruption
/// is allowed, False with <c>InsufficientPods</c> while none is, False with <c>SyncFailed</c> and the error when the
/// controller could not compute the status. Set as apimachinery's SetStatusCondition sets a condition: the
/// transition time moves only when the condition's status does. Pure.
/// </summary>
internal static class BudgetConditions
{
    public const string Type = "DisruptionAllowed";
    public const string SufficientPods = "SufficientPods";
    public const string InsufficientPods = "InsufficientPods";
    public const string SyncFailed = "SyncFailed";

    /// <summary>Whether the condition already says what <c>disruptionsAllowed</c> does, for the budget's generation.</summary>
    public static bool UpToDate(JsonObject status, long generation)
    {
        if (Find(status) is not { } condition || (status.Long("observedGeneration") ?? 0) != generation)
        {
            return false;
        }

        return (status.Long("disruptionsAllowed") ?? 0) > 0
            ? condition.Str("status") == "True" && condition.Str("reason") == SufficientPods
            : condition.Str("status") == "False" && condition.Str("reason") == InsufficientPods;
    }

    /// <summary>Sets the condition from <c>disruptionsAllowed</c>, as the controller does after every computed status.</summary>
    public static void SetFromAllowed(JsonObject status, DateTimeOffset now)
    {
        var allowed = (status.Long("disruptionsAllowed") ?? 0) > 0;
        Set(status, allowed ? "True" : "False", allowed ? SufficientPods : InsufficientPods, string.Empty, status.Long("observedGeneration") ?? 0, now);
    }

    /// <summary>Sets the condition in <paramref name="status"/>'s list, keeping the other conditions and their order.</summary>
    public static void Set(JsonObject status, string value, string reason, string message, long observedGeneration, DateTimeOffset now)
    {
        if (status["conditions"] is not JsonArray conditions)
        {
            status["conditions"] = conditions = [];
        }

        var condition = StatusConditions.Set(conditions, Type, value, reason, message, now);
        if (observedGeneration != 0)
        {
            condition["observedGeneration"] = observedGeneration;
        }
        else
        {
            condition.Remove("observedGeneration");
        }
    }

    public static JsonObject? Find(JsonObject status) =>
        status.Arr("conditions").Items().Select(i => i.Item as JsonObject).FirstOrDefault(c => c.Str("type") == Type);
}
