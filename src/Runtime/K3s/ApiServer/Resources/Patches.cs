using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources.Strategic;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The patch formats the server applies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and, for the built-in
/// kinds, strategic merge patch with their merge keys. Server-side apply needs field ownership this server does not
/// track yet, so it is refused with 415 rather than applied as a merge patch, which would silently replace lists. Pure.
/// </summary>
internal static class Patches
{
    public const string MergePatch = "application/merge-patch+json";
    public const string JsonPatch = "application/json-patch+json";
    public const string StrategicMergePatchType = "application/strategic-merge-patch+json";

    /// <param name="contentType">The request's Content-Type, which names the patch format.</param>
    /// <param name="target">The stored object.</param>
    /// <param name="patch">The parsed patch.</param>
    /// <param name="kind">The object's kind, whose merge keys a strategic merge patch uses.</param>
    public static JsonObject Apply(string contentType, JsonObject target, JsonNode patch, string kind)
    {
        var media = contentType.Split(';')[0].Trim();
        return media switch
        {
            MergePatch => patch is JsonObject merge ? (JsonObject)Merge(target, merge)! : throw ApiErrors.BadRequest("a merge patch must be a JSON object"),
            JsonPatch => patch is JsonArray ops ? ApplyJsonPatch(target, ops) : throw ApiErrors.BadRequest("a JSON patch must be a JSON array of operations"),
            StrategicMergePatchType => patch is JsonObject strategic
                ? StrategicMergePatch.Apply(target, strategic, BuiltinPatchSchemas.For(kind))
                : throw ApiErrors.BadRequest("a strategic merge patch must be a JSON object"),
            _ => throw new ApiStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {JsonPatch}, {MergePatch}, {StrategicMergePatchType}, application/apply-patch+yaml"),
        };
    }

    /// <summary>RFC 7386: objects merge recursively, null removes, anything else replaces.</summary>
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }

            var merged = Merge(result[name]?.DeepClone(), value);
            result[name] = merged;
        }

        return result;
    }

    private static JsonObject ApplyJsonPatch(JsonObject target, JsonArray ops)
    {
        JsonNode root = target;
        foreach (var node in ops)
        {
            if (node is not JsonObject op || op["op"]?.GetValue<string>() is not { } kind || op["path"]?.GetValue<string>() is not { } path)
            {
                throw ApiErrors.BadRequest("every JSON patch operation needs \"op\" and \"path\"");
            }

            switch (kind)
            {
                case "add":
                    Set(root, path, op["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    Get(root, path);
                    Set(root, path, op["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                    {
                        throw new ApiStatusException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                case "copy" or "move":
                    var from = op["from"]?.GetValue<string>() ?? throw ApiErrors.BadRequest($"\"{kind}\" needs \"from\"");
                    var value = Get(root, from)?.DeepClone();
                    if (kind == "move")
                    {
                        Remove(root, from);
                    }

                    Set(root, path, value, insert: true);
                    break;
                default:
                    throw ApiErrors.BadRequest($"unknown JSON patch operation \"{kind}\"");
            }
        }

        return (JsonObject)root;
    }

    private static string[] Tokens(string path) =>
        path.Length == 0 ? [] : path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Get(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var token in Tokens(path))
        {
            node = node switch
            {
                JsonObject o when o.ContainsKey(token) => o[token],
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new ApiStatusException(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\""),
            };
        }

        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode root, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            throw ApiErrors.BadRequest("a JSON patch cannot replace the whole object");
        }

        var parent = Get(root, "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        return (parent ?? throw ApiErrors.BadRequest($"doc is missing path: \"{path}\""), tokens[^1]);
    }

    private static void Set(JsonNode root, string path, JsonNode? value, bool insert)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw new ApiStatusException(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"");
        }
    }

    private static void Remove(JsonNode root, string path)
    {
        var (parent, last) = Parent(root, path);
        var removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw new ApiStatusException(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"");
        }
    }

    private static bool RemoveAt(JsonArray a, int i)
    {
        a.RemoveAt(i);
        return true;
    }
}
