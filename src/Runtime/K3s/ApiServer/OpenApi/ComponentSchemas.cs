using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 schemas for the served kinds, derived from the protobuf schema table: every field with its JSON type,
/// lists as arrays, maps as objects with <c>additionalProperties</c>, messages by <c>$ref</c> (in an
/// <c>allOf</c>, as kube-apiserver writes them), the strategic-merge-patch extensions, and kube's special
/// types (Quantity, Time, IntOrString, RawExtension). A kind's schema carries <c>x-kubernetes-group-version-kind</c>,
/// which is how kubectl finds it. Kinds without a table entry get an open object schema. There are no descriptions.
/// </summary>
internal sealed class ComponentSchemas
{
    private readonly JsonObject _schemas = [];

    public JsonObject Schemas => _schemas;

    /// <summary>Adds the kind's schema (and every message it reaches) and its list's; returns the kind's reference.</summary>
    public string AddKind(ApiResource resource, string kind, string group, string version)
    {
        var name = SchemaNames.Kind(group, version, kind);
        if (_schemas.ContainsKey(name))
        {
            return Ref(name);
        }

        JsonObject schema;
        if (resource.Custom is { Schema: { } structural })
        {
            // A custom resource: its version's schema, with the object metadata every kind shares.
            schema = (JsonObject)structural.DeepClone();
            schema.Remove("x-kubernetes-preserve-unknown-fields");
            AddMessage("ObjectMeta");
            var declared = schema["properties"] as JsonObject ?? (JsonObject)(schema["properties"] = new JsonObject());
            declared["metadata"] = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = Ref(SchemaNames.Message("ObjectMeta")) }) };
            _schemas[name] = schema;
        }
        else if (resource.Custom is null && ProtoSchema.KindMessage(group, version, kind) is { } message && ProtoSchema.Message(message) is not null)
        {
            AddMessage(message);
            schema = (JsonObject)_schemas[SchemaNames.Message(message)]!;
        }
        else
        {
            schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            _schemas[name] = schema;
        }

        var properties = schema["properties"] as JsonObject ?? (JsonObject)(schema["properties"] = new JsonObject());
        properties["apiVersion"] = new JsonObject { ["type"] = "string" };
        properties["kind"] = new JsonObject { ["type"] = "string" };
        schema["x-kubernetes-group-version-kind"] = Gvk(group, version, kind);
        if (resource.Verbs.Contains("list"))
        {
            AddSpecial(SchemaNames.ListMeta);
            _schemas[name + "List"] = new JsonObject
            {
                ["type"] = "object",
                ["required"] = new JsonArray("items"),
                ["properties"] = new JsonObject
                {
                    ["apiVersion"] = new JsonObject { ["type"] = "string" },
                    ["items"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = Ref(name) } },
                    ["kind"] = new JsonObject { ["type"] = "string" },
                    ["metadata"] = new JsonObject { ["$ref"] = Ref(SchemaNames.ListMeta) },
                },
                ["x-kubernetes-group-version-kind"] = Gvk(group, version, kind + "List"),
            };
        }

        return Ref(name);
    }

    public static string Ref(string name) => "#/components/schemas/" + name;

    public static JsonArray Gvk(string group, string version, string kind) =>
        new(new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version });

    private void AddMessage(string message)
    {
        var name = SchemaNames.Message(message);
        if (_schemas.ContainsKey(name) || ProtoSchema.Message(message) is not { } fields)
        {
            return;
        }

        var properties = new JsonObject();
        _schemas[name] = new JsonObject { ["type"] = "object", ["properties"] = properties };
        AddFields(fields.Values.OrderBy(f => f.Number), properties);
    }

    private void AddFields(IEnumerable<ProtoField> fields, JsonObject properties)
    {
        foreach (var field in fields)
        {
            if (field.Inline)
            {
                AddFields(ProtoSchema.Message(field.Message!)!.Values.OrderBy(f => f.Number), properties);
                continue;
            }

            var value = Value(field);
            var property = field.Map
                ? new JsonObject { ["type"] = "object", ["additionalProperties"] = value }
                : field.Repeated ? new JsonObject { ["type"] = "array", ["items"] = value }
                : value["$ref"] is { } reference ? new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = reference.DeepClone() }) }
                : value;
            if (field.PatchStrategy is { } strategy)
            {
                property["x-kubernetes-patch-strategy"] = strategy;
            }

            if (field.MergeKey is { } key)
            {
                property["x-kubernetes-patch-merge-key"] = key;
            }

            properties[field.Json] = property;
        }
    }

    private JsonObject Value(ProtoField field)
    {
        switch (field.Type)
        {
            case ProtoType.String: return new() { ["type"] = "string" };
            case ProtoType.Bytes: return new() { ["type"] = "string", ["format"] = "byte" };
            case ProtoType.Int32: return new() { ["type"] = "integer", ["format"] = "int32" };
            case ProtoType.Int64: return new() { ["type"] = "integer", ["format"] = "int64" };
            case ProtoType.Bool: return new() { ["type"] = "boolean" };
            case ProtoType.Double: return new() { ["type"] = "number", ["format"] = "double" };
            case ProtoType.StringList: return new() { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } };
            case ProtoType.Message:
                AddMessage(field.Message!);
                return new() { ["$ref"] = Ref(SchemaNames.Message(field.Message!)) };
            default:
                var special = field.Type switch
                {
                    ProtoType.Quantity => SchemaNames.Quantity,
                    ProtoType.Time => SchemaNames.Time,
                    ProtoType.MicroTime => SchemaNames.MicroTime,
                    ProtoType.IntOrString => SchemaNames.IntOrString,
                    _ => SchemaNames.RawExtension,
                };
                AddSpecial(special);
                return new() { ["$ref"] = Ref(special) };
        }
    }

    private void AddSpecial(string name)
    {
        if (_schemas.ContainsKey(name))
        {
            return;
        }

        _schemas[name] = name switch
        {
            SchemaNames.Quantity => new JsonObject { ["type"] = "string" },
            SchemaNames.Time or SchemaNames.MicroTime => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
            SchemaNames.IntOrString => new JsonObject { ["format"] = "int-or-string", ["x-kubernetes-int-or-string"] = true },
            SchemaNames.ListMeta => new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["continue"] = new JsonObject { ["type"] = "string" },
                    ["remainingItemCount"] = new JsonObject { ["type"] = "integer", ["format"] = "int64" },
                    ["resourceVersion"] = new JsonObject { ["type"] = "string" },
                    ["selfLink"] = new JsonObject { ["type"] = "string" },
                },
            },
            _ => new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
        };
    }
}
