using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Resources.Certificates;

/// <summary>The status an update through <c>/status</c> or <c>/approval</c> stores, and the condition timestamps both fill in.</summary>
internal static partial class CertificateSigningRequestStrategy
{
    public const string Approved = "Approved";
    public const string Denied = "Denied";
    public const string Failed = "Failed";

    /// <summary>
    /// <c>csrStatusStrategy.PrepareForUpdate</c>: the submitted status, except that the Approved and Denied
    /// conditions stay as stored when the submitted object has as many of each (if it added or removed some, they
    /// are left for validation to refuse); then the condition timestamps.
    /// </summary>
    private static JsonObject StatusUpdate(JsonObject stored, JsonObject submitted, DateTimeOffset now)
    {
        var conditions = submitted.Arr("conditions");
        var storedConditions = stored.Arr("conditions");
        foreach (var type in new[] { Approved, Denied })
        {
            var before = IndexesOf(storedConditions, type);
            var after = IndexesOf(conditions, type);
            if (conditions is not null && before.Count == after.Count)
            {
                for (var i = 0; i < before.Count; i++)
                {
                    conditions[after[i]] = storedConditions![before[i]]?.DeepClone();
                }
            }
        }

        FillTimestamps(conditions, storedConditions, now);
        return submitted;
    }

    /// <summary><c>csrApprovalStrategy.PrepareForUpdate</c>: the stored status (so its certificate) with the submitted conditions, timestamps filled in.</summary>
    private static JsonObject ApprovalUpdate(JsonObject stored, JsonObject submitted, DateTimeOffset now)
    {
        var conditions = submitted.Arr("conditions");
        FillTimestamps(conditions, stored.Arr("conditions"), now);
        var status = (JsonObject)stored.DeepClone();
        status.Remove("conditions");
        if (conditions is { Count: > 0 })
        {
            submitted.Remove("conditions");
            status["conditions"] = conditions;
        }

        return status;
    }

    /// <summary>
    /// <c>populateConditionTimestamps</c>: a condition without <c>lastUpdateTime</c> gets <paramref name="now"/>; one
    /// without <c>lastTransitionTime</c> gets that of a stored condition of the same type and status, else now.
    /// </summary>
    internal static void FillTimestamps(JsonArray? conditions, JsonArray? stored, DateTimeOffset now)
    {
        var stamp = ObjectDefaults.Timestamp(now);
        foreach (var condition in (conditions ?? []).OfType<JsonObject>())
        {
            if (IsZeroTime(condition, "lastUpdateTime"))
            {
                condition["lastUpdateTime"] = stamp;
            }

            if (IsZeroTime(condition, "lastTransitionTime"))
            {
                var previous = (stored ?? []).OfType<JsonObject>().FirstOrDefault(old =>
                    old.Str("type") == condition.Str("type") && old.Str("status") == condition.Str("status") && !IsZeroTime(old, "lastTransitionTime"));
                condition["lastTransitionTime"] = previous?["lastTransitionTime"]?.DeepClone() ?? stamp;
            }
        }
    }

    /// <summary>The positions of the conditions of <paramref name="type"/>, in order.</summary>
    internal static List<int> IndexesOf(JsonArray? conditions, string type) =>
        [.. conditions.Items().Where(c => c.Item.Str("type") == type).Select(c => c.Index)];

    private static bool IsZeroTime(JsonObject condition, string field) => condition.Str(field) is not { Length: > 0 };
}
