using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources;

namespace K3sLab.K3s.ApiServer.Aggregation;

/// <summary>
/// The <c>Available</c> condition of an APIService, as kube-aggregator's availability controller words it. A local
/// one (no <c>spec.service</c>) is always available. This server does not proxy to aggregated API servers, so an
/// APIService that names a service is never available: <c>ServiceNotFound</c> while the service does not exist (kube's
/// reason and message), then <c>FailedDiscoveryCheck</c> saying that requests for its group version are not forwarded.
/// The transition time is kept while the status and reason stay the same. Pure.
/// </summary>
internal static class ApiServiceAvailability
{
    public const string LocalMessage = "Local APIServices are always available";

    /// <summary>The status <paramref name="apiService"/> should have; <paramref name="serviceExists"/> is ignored for a local one.</summary>
    public static JsonObject Status(JsonObject apiService, bool serviceExists, DateTimeOffset now)
    {
        var spec = apiService["spec"] as JsonObject;
        string status, reason, message;
        if (spec?["service"] is not JsonObject service)
        {
            (status, reason, message) = ("True", "Local", LocalMessage);
        }
        else
        {
            var ns = service["namespace"]?.GetValue<string>() ?? string.Empty;
            var name = service["name"]?.GetValue<string>() ?? string.Empty;
            var groupVersion = $"{spec["group"]?.GetValue<string>()}/{spec["version"]?.GetValue<string>()}";
            (status, reason, message) = serviceExists
                ? ("False", "FailedDiscoveryCheck", $"this API server does not proxy to aggregated API servers: requests for {groupVersion} are not forwarded to service {ns}/{name}; only the groups it serves itself are available")
                : ("False", "ServiceNotFound", $"service/{name} in \"{ns}\" is not present");
        }

        var previous = (apiService["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == "Available");
        var since = previous is not null && previous["status"]?.GetValue<string>() == status && previous["reason"]?.GetValue<string>() == reason
            ? previous["lastTransitionTime"]?.DeepClone()
            : ObjectDefaults.Timestamp(now);
        return new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "Available",
                ["status"] = status,
                ["lastTransitionTime"] = since,
                ["reason"] = reason,
                ["message"] = message,
            }),
        };
    }
}
