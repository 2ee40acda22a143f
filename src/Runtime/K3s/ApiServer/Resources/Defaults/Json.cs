using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Defaults;

/// <summary>Small helpers for setting defaults on JSON objects.</summary>
internal static class Json
{
    /// <summary>Sets the field when it is absent or null, as Go's defaulting fills zero pointers.</summary>
    public static void Default(JsonObject obj, string field, JsonNode value)
    {
        if (obj[field] is null)
        {
            obj[field] = value;
        }
    }

    public static JsonObject Child(JsonObject obj, string field) =>
        obj[field] as JsonObject ?? (JsonObject)(obj[field] = new JsonObject());

    public static IEnumerable<JsonObject> Objects(JsonNode? list) => (list as JsonArray ?? []).OfType<JsonObject>();
}
