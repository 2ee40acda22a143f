using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// Reads fields of a stored-object body without trusting its shape: a field that is absent, null or of another JSON
/// type reads as absent, so validation never throws on what decoding let through (a patch can produce anything).
/// </summary>
internal static class JsonFields
{
    public static string? Str(this JsonNode? node, string field) => node is JsonObject obj ? AsString(obj[field]) : null;

    public static long? Long(this JsonNode? node, string field) => node is JsonObject obj ? AsLong(obj[field]) : null;

    public static bool? Bool(this JsonNode? node, string field) =>
        node is JsonObject obj && obj[field] is JsonValue v ? v.GetValueKind() switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    public static JsonObject? Obj(this JsonNode? node, string field) => node is JsonObject obj ? obj[field] as JsonObject : null;

    public static JsonArray? Arr(this JsonNode? node, string field) => node is JsonObject obj ? obj[field] as JsonArray : null;

    /// <summary>Whether the field is present and not null.</summary>
    public static bool Has(this JsonNode? node, string field) => node is JsonObject obj && obj[field] is not null;

    /// <summary>The list's items with their indexes, null items included as null.</summary>
    public static IEnumerable<(int Index, JsonNode? Item)> Items(this JsonArray? list) => (list ?? []).Select((item, i) => (i, item));

    /// <summary>A map's entries as strings (non-string values read as empty, as they never pass decoding).</summary>
    public static IEnumerable<(string Key, string Value)> Entries(this JsonObject? map) =>
        (map ?? []).Select(e => (e.Key, AsString(e.Value) ?? string.Empty));

    public static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? AsLong(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;
}
