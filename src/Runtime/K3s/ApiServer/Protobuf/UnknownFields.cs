using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Protobuf;

/// <summary>
/// Checks a JSON object against a built-in kind's schema as kube-apiserver's decoding into Go types does: fields the
/// kind does not define are removed and reported (paths as kube-apiserver writes them in "unknown field" errors:
/// <c>spec.template.spec.containers[0].x</c>), and a value of the wrong JSON type is reported in Go's words
/// ("json: cannot unmarshal number into Go struct field Pod.metadata.name of type string"). The same schemas as the
/// protobuf decoder, keyed by JSON name, with inlined messages flattened. <c>apiVersion</c> and <c>kind</c> are
/// allowed on every object (Go's embedded TypeMeta has no protobuf tag).
/// </summary>
internal static class UnknownFields
{
    private static readonly ConcurrentDictionary<FrozenDictionary<int, ProtoField>, FrozenDictionary<string, ProtoField>> ByJson = new();

    /// <summary>Removes the unknown fields from <paramref name="obj"/> and returns their paths, in document order.</summary>
    public static IReadOnlyList<string> Prune(JsonObject obj, FrozenDictionary<int, ProtoField> schema) => Prune(obj, schema, string.Empty, out _);

    /// <summary>As <see cref="Prune(JsonObject, FrozenDictionary{int, ProtoField})"/>, also returning the first type error (null if none).</summary>
    public static IReadOnlyList<string> Prune(JsonObject obj, FrozenDictionary<int, ProtoField> schema, string typeName, out string? typeError)
    {
        var found = new List<string>();
        var errors = new List<string>();
        PruneObject(obj, schema, string.Empty, typeName, found, errors);
        typeError = errors.FirstOrDefault();
        return found;
    }

    private static void PruneObject(JsonObject obj, FrozenDictionary<int, ProtoField> schema, string path, string typeName, List<string> found, List<string> errors)
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

            var fieldPath = path + key;
            if (value is null)
            {
                continue;
            }

            if (field.Map)
            {
                if (value is not JsonObject map)
                {
                    errors.Add(Mismatch(value, typeName, fieldPath, "map"));
                    continue;
                }

                foreach (var (entryKey, entry) in map.ToList())
                {
                    CheckValue(entry, field, $"{fieldPath}.{entryKey}", typeName, found, errors);
                }
            }
            else if (field.Repeated)
            {
                if (value is not JsonArray list)
                {
                    errors.Add(Mismatch(value, typeName, fieldPath, "array"));
                    continue;
                }

                for (var i = 0; i < list.Count; i++)
                {
                    CheckValue(list[i], field, $"{fieldPath}[{i}]", typeName, found, errors);
                }
            }
            else
            {
                CheckValue(value, field, fieldPath, typeName, found, errors);
            }
        }
    }

    private static void CheckValue(JsonNode? value, ProtoField field, string path, string typeName, List<string> found, List<string> errors)
    {
        if (value is null)
        {
            return;
        }

        var kind = value.GetValueKind();
        var (ok, goType) = field.Type switch
        {
            ProtoType.String => (kind == JsonValueKind.String, "string"),
            ProtoType.Bytes => (kind == JsonValueKind.String && Convert.TryFromBase64String(value.GetValue<string>(), new byte[value.GetValue<string>().Length], out _), "[]uint8"),
            ProtoType.Int32 => (kind == JsonValueKind.Number && value.AsValue().TryGetValue<int>(out _), "int32"),
            ProtoType.Int64 => (kind == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _), "int64"),
            ProtoType.Bool => (kind is JsonValueKind.True or JsonValueKind.False, "bool"),
            ProtoType.Double => (kind == JsonValueKind.Number, "float64"),
            ProtoType.Quantity => (kind is JsonValueKind.String or JsonValueKind.Number, "resource.Quantity"),
            ProtoType.Time or ProtoType.MicroTime => (kind == JsonValueKind.String, "metav1.Time"),
            ProtoType.IntOrString => (kind == JsonValueKind.String || (kind == JsonValueKind.Number && value.AsValue().TryGetValue<int>(out _)), "intstr.IntOrString"),
            ProtoType.StringList => (kind == JsonValueKind.Array && value.AsArray().All(v => v?.GetValueKind() == JsonValueKind.String), "[]string"),
            ProtoType.Raw => (true, "runtime.RawExtension"),
            _ => (kind == JsonValueKind.Object, field.Message!),
        };
        if (!ok)
        {
            errors.Add(Mismatch(value, typeName, path, goType));
            return;
        }

        if (field.Type == ProtoType.Message && ProtoSchema.Message(field.Message!) is { } inner)
        {
            PruneObject((JsonObject)value, inner, path + ".", typeName, found, errors);
        }
    }

    private static string Mismatch(JsonNode value, string typeName, string path, string goType)
    {
        var jsonType = value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Array => "array",
            JsonValueKind.Object => "object",
            _ => "value",
        };
        return $"json: cannot unmarshal {jsonType} into Go struct field {typeName}.{path} of type {goType}";
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
