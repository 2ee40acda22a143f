using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// A custom resource against its version's structural schema, as kube-apiserver treats it. <see cref="Prune"/>
/// drops the fields the schema does not declare (unless <c>x-kubernetes-preserve-unknown-fields</c>) and fills
/// <c>default</c>s, returning the dropped paths for <c>fieldValidation</c>; <see cref="Validate"/> then reports
/// what the schema forbids (types, required, enum, bounds, lengths, patterns, item and property counts) in
/// kube-openapi's words. <c>apiVersion</c>, <c>kind</c> and <c>metadata</c> at the root are the server's. Pure.
/// </summary>
internal static class StructuralSchema
{
    private static readonly string[] RootFields = ["apiVersion", "kind", "metadata"];

    public static IReadOnlyList<string> Prune(JsonObject obj, JsonObject schema)
    {
        var unknown = new List<string>();
        PruneObject(obj, schema, string.Empty, unknown, root: true);
        return unknown;
    }

    public static IReadOnlyList<StatusCause> Validate(JsonObject obj, JsonObject schema)
    {
        var causes = new List<StatusCause>();
        ValidateNode(obj, schema, string.Empty, causes, root: true);
        return causes;
    }

    private static void PruneNode(JsonNode? node, JsonObject schema, string path, List<string> unknown)
    {
        switch (node)
        {
            case JsonObject o:
                PruneObject(o, schema, path, unknown, root: false);
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (var i = 0; i < a.Count; i++)
                {
                    PruneNode(a[i], items, $"{path}[{i}]", unknown);
                }

                break;
        }
    }

    private static void PruneObject(JsonObject obj, JsonObject schema, string path, List<string> unknown, bool root)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var preserve = Flag(schema["x-kubernetes-preserve-unknown-fields"]);
        foreach (var (key, value) in obj.ToList())
        {
            if (root && RootFields.Contains(key))
            {
                continue;
            }

            var child = Join(path, key);
            if (properties?[key] is JsonObject declared)
            {
                PruneNode(value, declared, child, unknown);
            }
            else if (additional is JsonObject valueSchema)
            {
                PruneNode(value, valueSchema, child, unknown);
            }
            else if (!preserve && !(additional is JsonValue allow && allow.TryGetValue<bool>(out var allowed) && allowed))
            {
                obj.Remove(key);
                unknown.Add(child);
            }
        }

        foreach (var (key, declared) in properties ?? [])
        {
            if (!obj.ContainsKey(key) && declared?["default"] is { } value && !(root && RootFields.Contains(key)))
            {
                obj[key] = value.DeepClone();
            }
        }
    }

    private static void ValidateNode(JsonNode? node, JsonObject schema, string path, List<StatusCause> causes, bool root = false)
    {
        var type = Text(schema["type"]);
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            if (!Flag(schema["nullable"]) && type.Length > 0)
            {
                causes.Add(TypeInvalid(path, type, "null"));
            }

            return;
        }

        var actual = TypeOf(node);
        var expected = Flag(schema["x-kubernetes-int-or-string"]) ? "integer,string" : type;
        if (expected.Length > 0 && !expected.Split(',').Any(t => t == actual || (t == "number" && actual == "integer")))
        {
            causes.Add(TypeInvalid(path, expected, actual));
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            var values = string.Join(", ", allowed.Select(a => a is JsonValue v && v.TryGetValue<string>(out var s) ? Quote(s) : Quote(a?.ToJsonString() ?? "null")));
            causes.Add(new("FieldValueNotSupported", $"Unsupported value: {Go(node)}: supported values: {values}", path));
        }

        switch (node)
        {
            case JsonObject o:
                ValidateObject(o, schema, path, causes, root);
                break;
            case JsonArray a:
                ValidateArray(a, schema, path, causes);
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                ValidateString(s, schema, path, causes);
                break;
            case JsonValue v when v.TryGetValue<double>(out var d):
                ValidateNumber(d, v, schema, path, causes);
                break;
        }
    }

    private static void ValidateObject(JsonObject obj, JsonObject schema, string path, List<StatusCause> causes, bool root)
    {
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(Text))
        {
            if (!obj.ContainsKey(required) && !(root && RootFields.Contains(required)))
            {
                causes.Add(new("FieldValueRequired", "Required value", Join(path, required)));
            }
        }

        if (Count(schema["maxProperties"]) is { } most && obj.Count > most)
        {
            causes.Add(new("FieldValueTooMany", $"Too many: {obj.Count}: must have at most {most} items", path));
        }

        if (Count(schema["minProperties"]) is { } least && obj.Count < least)
        {
            causes.Add(Invalid(path, Go(obj), $"{Name(path)} in body should have at least {least} properties"));
        }

        var properties = schema["properties"] as JsonObject;
        foreach (var (key, value) in obj)
        {
            if (root && RootFields.Contains(key))
            {
                continue;
            }

            if (properties?[key] is JsonObject declared)
            {
                ValidateNode(value, declared, Join(path, key), causes);
            }
            else if (schema["additionalProperties"] is JsonObject valueSchema)
            {
                ValidateNode(value, valueSchema, Join(path, key), causes);
            }
        }
    }

    private static void ValidateArray(JsonArray array, JsonObject schema, string path, List<StatusCause> causes)
    {
        if (Count(schema["maxItems"]) is { } most && array.Count > most)
        {
            causes.Add(new("FieldValueTooMany", $"Too many: {array.Count}: must have at most {most} items", path));
        }

        if (Count(schema["minItems"]) is { } least && array.Count < least)
        {
            causes.Add(Invalid(path, Go(array), $"{Name(path)} in body should have at least {least} items"));
        }

        if (Flag(schema["uniqueItems"]) && array.Select(i => i?.ToJsonString()).Distinct().Count() < array.Count)
        {
            causes.Add(Invalid(path, Go(array), $"{Name(path)} in body shouldn't contain duplicates"));
        }

        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateNode(array[i], items, $"{path}[{i}]", causes);
            }
        }
    }

    private static void ValidateString(string value, JsonObject schema, string path, List<StatusCause> causes)
    {
        var length = value.EnumerateRunes().Count();
        if (Count(schema["maxLength"]) is { } most && length > most)
        {
            causes.Add(new("FieldValueTooLong", $"Too long: may not be more than {most} bytes", path));
        }

        if (Count(schema["minLength"]) is { } least && length < least)
        {
            causes.Add(Invalid(path, Quote(value), $"{Name(path)} in body should be at least {least} chars long"));
        }

        if (Text(schema["pattern"]) is { Length: > 0 } pattern && !Matches(pattern, value))
        {
            causes.Add(Invalid(path, Quote(value), $"{Name(path)} in body should match '{pattern}'"));
        }
    }

    private static void ValidateNumber(double value, JsonValue node, JsonObject schema, string path, List<StatusCause> causes)
    {
        if (Number(schema["maximum"]) is { } max)
        {
            var exclusive = Flag(schema["exclusiveMaximum"]);
            if (exclusive ? value >= max : value > max)
            {
                causes.Add(Invalid(path, Go(node), $"{Name(path)} in body should be less than {(exclusive ? string.Empty : "or equal to ")}{Format(max)}"));
            }
        }

        if (Number(schema["minimum"]) is { } min)
        {
            var exclusive = Flag(schema["exclusiveMinimum"]);
            if (exclusive ? value <= min : value < min)
            {
                causes.Add(Invalid(path, Go(node), $"{Name(path)} in body should be greater than {(exclusive ? string.Empty : "or equal to ")}{Format(min)}"));
            }
        }

        if (Number(schema["multipleOf"]) is { } factor && factor > 0 && Math.IEEERemainder(value, factor) != 0)
        {
            causes.Add(Invalid(path, Go(node), $"{Name(path)} in body should be a multiple of {Format(factor)}"));
        }
    }

    private static bool Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException)
        {
            return true;
        }
    }

    /// <summary>A type mismatch as kube-openapi words it: <c>spec.replicas in body must be of type integer: "string"</c>.</summary>
    private static StatusCause TypeInvalid(string path, string expected, string actual) =>
        new("FieldValueTypeInvalid", $"Invalid value: {Quote(actual)}: {Name(path)} in body must be of type {expected}: {Quote(actual)}", path);

    private static StatusCause Invalid(string path, string value, string detail) => new("FieldValueInvalid", $"Invalid value: {value}: {detail}", path);

    private static string TypeOf(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => node.AsValue().TryGetValue<long>(out _) || IsIntegral(node) ? "integer" : "number",
        _ => "null",
    };

    private static bool IsIntegral(JsonNode node) => node.AsValue().TryGetValue<double>(out var d) && Math.Floor(d) == d && !node.ToJsonString().Contains('.', StringComparison.Ordinal);

    /// <summary>A value as Go's field errors print it: strings quoted, numbers and booleans bare, the rest as JSON.</summary>
    private static string Go(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => Quote(s),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    /// <summary>Go's <c>%q</c> for the strings users write: backslashes, quotes and control characters escaped.</summary>
    private static string Quote(string s)
    {
        var quoted = new System.Text.StringBuilder("\"", s.Length + 2);
        foreach (var c in s)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Name(string path) => path.Length == 0 ? "body" : path;

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Text(JsonNode? node) => Validation.JsonFields.AsString(node) ?? string.Empty;

    private static bool Flag(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static long? Count(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    private static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
}
