using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Protobuf;

/// <summary>
/// Finds and removes the fields a built-in kind does not define, as kube-apiserver does when it decodes into its Go
/// types: the same schemas as the protobuf decoder, keyed by JSON name, with inlined messages flattened. Paths are
/// written as kube-apiserver writes them in "unknown field" errors and warnings: <c>spec.template.spec.containers[0].x</c>.
/// <c>apiVersion</c> and <c>kind</c> are allowed on every object (Go's embedded TypeMeta has no protobuf tag).
/// </summary>
internal static class UnknownFields
{
    private static readonly ConcurrentDictionary<FrozenDictionary<int, ProtoField>, FrozenDictionary<string, ProtoField>> ByJson = new();

    /// <summary>Removes the unknown fields from <paramref name="obj"/> and returns their paths, in document order.</summary>
    public static IReadOnlyList<string> Prune(JsonObject obj, FrozenDictionary<int, ProtoField> schema)
    {
        var found = new List<string>();
        PruneObject(obj, schema, string.Empty, found);
        return found;
    }

    private static void PruneObject(JsonObject obj, FrozenDictionary<int, ProtoField> schema, string path, List<string> found)
    {
        var fields = ByJson.GetOrAdd(schema, Index);
        foreach (var (key, value) in obj.ToList())
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            if (!fields.TryGetValue(key, out var field))
            {
                found.Add(path + key);
                obj.Remove(key);
                continue;
            }

            if (field.Type != ProtoType.Message || value is null || ProtoSchema.Message(field.Message!) is not { } inner)
            {
                continue;
            }

            switch (value)
            {
                case JsonObject map when field.Map:
                    foreach (var (entryKey, entry) in map.ToList())
                    {
                        if (entry is JsonObject child)
                        {
                            PruneObject(child, inner, $"{path}{key}.{entryKey}.", found);
                        }
                    }

                    break;
                case JsonArray list when field.Repeated:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is JsonObject child)
                        {
                            PruneObject(child, inner, $"{path}{key}[{i}].", found);
                        }
                    }

                    break;
                case JsonObject child when !field.Map && !field.Repeated:
                    PruneObject(child, inner, $"{path}{key}.", found);
                    break;
            }
        }
    }

    private static FrozenDictionary<string, ProtoField> Index(FrozenDictionary<int, ProtoField> schema)
    {
        var byJson = new Dictionary<string, ProtoField>(StringComparer.Ordinal);
        foreach (var field in schema.Values)
        {
            if (field.Inline && ProtoSchema.Message(field.Message!) is { } inlined)
            {
                foreach (var (name, inner) in Index(inlined))
                {
                    byJson[name] = inner;
                }
            }
            else
            {
                byJson[field.Json] = field;
            }
        }

        return byJson.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
