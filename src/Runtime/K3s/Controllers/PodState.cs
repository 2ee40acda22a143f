using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>How controllers read a pod's state (upstream's podutil helpers).</summary>
internal static class PodState
{
    public static string Phase(JsonObject pod) => pod.Obj("status").Str("phase") ?? "Pending";

    /// <summary>Not finished (Succeeded/Failed) and not being deleted: counts toward a controller's replicas.</summary>
    public static bool IsActive(JsonObject pod) => Phase(pod) is not ("Succeeded" or "Failed") && !ObjectKeys.IsDeleting(pod);

    public static bool IsReady(JsonObject pod) => Condition(pod, "Ready") is { } ready && ready.Str("status") == "True";

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> at <paramref name="now"/>.</summary>
    public static bool IsAvailable(JsonObject pod, int minReadySeconds, DateTimeOffset now)
    {
        if (!IsReady(pod))
        {
            return false;
        }

        if (minReadySeconds <= 0)
        {
            return true;
        }

        return Time(Condition(pod, "Ready").Str("lastTransitionTime")) is { } since && since.AddSeconds(minReadySeconds) <= now;
    }

    /// <summary>The pod's node (empty while unscheduled).</summary>
    public static string NodeName(JsonObject pod) => pod.Obj("spec").Str("nodeName") ?? string.Empty;

    public static JsonObject? Condition(JsonObject obj, string type) =>
        obj.Obj("status").Arr("conditions").Items().Select(i => i.Item as JsonObject).FirstOrDefault(c => c.Str("type") == type);

    public static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>An RFC 3339 timestamp in seconds, as metav1.Time serializes.</summary>
    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
