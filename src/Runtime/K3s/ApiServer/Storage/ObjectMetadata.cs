using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// An object cut down to what a metadata-only reader needs (client-go's <c>PartialObjectMetadata</c>):
/// <c>apiVersion</c>, <c>kind</c> and <c>metadata</c> without <c>managedFields</c>. The garbage collector keeps
/// ConfigMaps and Secrets this way: it reads nothing else of them, and their data need not sit in its memory.
/// </summary>
internal static class ObjectMetadata
{
    /// <summary>A new object holding a copy of <paramref name="obj"/>'s type and metadata; the input is not changed.</summary>
    public static JsonObject Project(JsonObject obj)
    {
        var projected = new JsonObject();
        foreach (var field in (ReadOnlySpan<string>)["apiVersion", "kind"])
        {
            if (obj[field] is { } value)
            {
                projected[field] = value.DeepClone();
            }
        }

        if (obj["metadata"] is JsonObject metadata)
        {
            var copy = new JsonObject();
            foreach (var (name, value) in metadata)
            {
                if (name != "managedFields")
                {
                    copy[name] = value?.DeepClone();
                }
            }

            projected["metadata"] = copy;
        }

        return projected;
    }
}
