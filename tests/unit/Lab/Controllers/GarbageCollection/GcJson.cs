using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.Controllers.GarbageCollection;

/// <summary>ConfigMaps with owners, finalizers and deletion marks for the garbage collector tests.</summary>
internal static class GcJson
{
    public static JsonObject Ref(string uid, bool block = true) =>
        new() { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "o-" + uid, ["uid"] = uid, ["blockOwnerDeletion"] = block };

    public static JsonObject Object(string uid, JsonObject[]? owners = null, string[]? finalizers = null, bool deleting = false)
    {
        var metadata = new JsonObject { ["name"] = "o-" + uid, ["namespace"] = "default", ["uid"] = uid };
        if (owners is not null)
        {
            metadata["ownerReferences"] = new JsonArray([.. owners.Select(o => (JsonNode)o)]);
        }

        if (finalizers is not null)
        {
            metadata["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)JsonValue.Create(f))]);
        }

        if (deleting)
        {
            metadata["deletionTimestamp"] = "2026-01-01T12:00:00Z";
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = metadata };
    }
}
