using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>Tolerant reads of object fields for table cells: a missing or mistyped field reads as absent. Pure.</summary>
internal static class Json
{
    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node;
    }

    public static string? Str(JsonNode? node, string path) => At(node, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long Long(JsonNode? node, string path) => At(node, path) is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    public static bool Bool(JsonNode? node, string path) => At(node, path) is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public static IEnumerable<JsonObject> Objects(JsonNode? node, string path) => At(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static int Count(JsonNode? node, string path) => At(node, path) switch
    {
        JsonArray a => a.Count,
        JsonObject o => o.Count,
        _ => 0,
    };

    public static DateTimeOffset? Time(JsonNode? node, string path) =>
        Str(node, path) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>A map as <c>k=v,k2=v2</c> (selectors, node selectors), or <c>&lt;none&gt;</c>.</summary>
    public static string Pairs(JsonNode? node, string path) =>
        At(node, path) is JsonObject { Count: > 0 } map ? string.Join(',', map.Select(p => $"{p.Key}={p.Value}")) : "<none>";

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
