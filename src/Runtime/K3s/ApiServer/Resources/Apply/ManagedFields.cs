using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Apply;

/// <summary>The <c>metadata.managedFields</c> entries server-side apply reads and writes, one per manager and operation.</summary>
internal static class ManagedFields
{
    public static JsonObject? Applied(JsonObject obj, string manager) =>
        (obj["metadata"]?["managedFields"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(e => e["manager"]?.GetValue<string>() == manager && e["operation"]?.GetValue<string>() == "Apply")?["fieldsV1"] as JsonObject;

    /// <summary>Records (or replaces) the manager's Apply entry.</summary>
    public static void SetApplied(JsonObject obj, string manager, string apiVersion, JsonObject fields, string time)
    {
        var metadata = (JsonObject)obj["metadata"]!;
        var entries = new JsonArray();
        foreach (var entry in (metadata["managedFields"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if (!(entry["manager"]?.GetValue<string>() == manager && entry["operation"]?.GetValue<string>() == "Apply"))
            {
                entries.Add(entry.DeepClone());
            }
        }

        entries.Add((JsonNode)new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = "Apply",
            ["apiVersion"] = apiVersion,
            ["time"] = time,
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = fields,
        });
        metadata["managedFields"] = entries;
    }
}
