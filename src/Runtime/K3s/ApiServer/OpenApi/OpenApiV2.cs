using System.Text.Json.Nodes;
using Google.Protobuf;

namespace K3sLab.K3s.ApiServer.OpenApi;

/// <summary>
/// <c>/openapi/v2</c> in the only form clients fetch it: the gnostic <c>openapi.v2.Document</c> protobuf
/// (<c>application/com.github.proto-openapi.spec.v2@v1.0+protobuf</c>). kubectl 1.27 loads it before every
/// validated apply and for <c>explain</c>, and reads strategic-merge-patch keys from it. It is the v3 documents
/// merged and rewritten in Swagger 2.0 terms: <c>#/definitions/</c> references, parameters with <c>in</c>, and
/// vendor extensions as YAML (written as JSON, which is YAML).
/// </summary>
internal static class OpenApiV2
{
    private const string ComponentPrefix = "#/components/schemas/";

    public static byte[] Render(IEnumerable<JsonObject> documents, string kubernetesVersion)
    {
        var paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var definitions = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            foreach (var (path, item) in (JsonObject)document["paths"]!)
            {
                paths[path] = (JsonObject)item!;
            }

            foreach (var (name, schema) in (JsonObject)document["components"]!["schemas"]!)
            {
                definitions[name] = (JsonObject)schema!;
            }
        }

        return Message(w =>
        {
            w.String(1, "2.0");
            w.Message(2, info => { info.String(1, "Kubernetes"); info.String(2, kubernetesVersion); });
            w.Message(8, p =>
            {
                foreach (var (path, item) in paths)
                {
                    p.Message(2, named => { named.String(1, path); named.Message(2, i => PathItem(i, item)); });
                }
            });
            w.Message(9, d =>
            {
                foreach (var (name, schema) in definitions)
                {
                    d.Message(1, named => { named.String(1, name); named.Message(2, s => Schema(s, schema)); });
                }
            });
        });
    }

    private static void PathItem(Writer w, JsonObject item)
    {
        foreach (var (method, number) in new[] { ("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("patch", 8) })
        {
            if (item[method] is JsonObject operation)
            {
                w.Message(number, o => Operation(o, operation));
            }
        }

        foreach (var parameter in Parameters(item))
        {
            w.Message(9, p => Parameter(p, parameter));
        }
    }

    private static void Operation(Writer w, JsonObject operation)
    {
        w.String(5, (string?)operation["operationId"]);
        foreach (var parameter in Parameters(operation))
        {
            w.Message(8, p => Parameter(p, parameter));
        }

        if (operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"] is JsonValue body)
        {
            w.Message(8, p => p.Message(1, parameter => parameter.Message(1, b =>
            {
                b.String(2, "body");
                b.String(3, "body");
                b.Bool(4, true);
                b.Message(5, s => s.String(1, Reference((string)body!)));
            })));
        }
        else if (operation["requestBody"] is not null)
        {
            w.Message(8, p => p.Message(1, parameter => parameter.Message(1, b =>
            {
                b.String(2, "body");
                b.String(3, "body");
                b.Bool(4, true);
                b.Message(5, s => s.Message(22, t => t.String(1, "object")));
            })));
        }

        w.Message(9, responses =>
        {
            foreach (var (code, response) in (JsonObject)operation["responses"]!)
            {
                responses.Message(1, named =>
                {
                    named.String(1, code);
                    named.Message(2, value => value.Message(1, r =>
                    {
                        r.String(1, (string?)response!["description"]);
                        if (response["content"]?["application/json"]?["schema"]?["$ref"] is JsonValue schema)
                        {
                            r.Message(2, item => item.Message(1, s => s.String(1, Reference((string)schema!))));
                        }
                    }));
                });
            }
        });
        Extensions(w, 13, operation);
    }

    private static IEnumerable<JsonObject> Parameters(JsonObject owner) => (owner["parameters"] as JsonArray ?? []).OfType<JsonObject>();

    private static void Parameter(Writer w, JsonObject parameter)
    {
        var inPath = (string?)parameter["in"] == "path";
        w.Message(1, p => p.Message(2, nonBody => nonBody.Message(inPath ? 4 : 3, sub =>
        {
            if (inPath)
            {
                sub.Bool(1, true);
                sub.String(2, "path");
                sub.String(4, (string?)parameter["name"]);
                sub.String(5, "string");
                sub.Bool(19, true);
            }
            else
            {
                sub.String(2, "query");
                sub.String(4, (string?)parameter["name"]);
                sub.String(6, "string");
                sub.Bool(20, true);
            }
        })));
    }

    private static void Schema(Writer w, JsonObject schema)
    {
        // v3 wraps references in allOf to carry siblings; Swagger 2.0 puts the siblings next to $ref.
        var reference = (string?)schema["$ref"] ?? (string?)(schema["allOf"] as JsonArray)?[0]?["$ref"];
        if (reference is not null)
        {
            w.String(1, Reference(reference));
        }

        var format = (string?)schema["format"];
        var type = (string?)schema["type"];
        if (schema["x-kubernetes-int-or-string"] is not null)
        {
            (type, format) = ("string", "int-or-string");
        }

        w.String(2, format);
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required)
            {
                w.String(19, (string?)name);
            }
        }

        if (schema["additionalProperties"] is JsonObject additional)
        {
            w.Message(21, a => a.Message(1, s => Schema(s, additional)));
        }

        if (type is not null)
        {
            w.Message(22, t => t.String(1, type));
        }

        if (schema["items"] is JsonObject items)
        {
            w.Message(23, i => i.Message(1, s => Schema(s, items)));
        }

        if (schema["properties"] is JsonObject properties)
        {
            w.Message(25, p =>
            {
                foreach (var (name, property) in properties)
                {
                    p.Message(1, named => { named.String(1, name); named.Message(2, s => Schema(s, (JsonObject)property!)); });
                }
            });
        }

        Extensions(w, 31, schema);
    }

    private static void Extensions(Writer w, int number, JsonObject owner)
    {
        foreach (var (name, value) in owner.Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal) && p.Key != "x-kubernetes-int-or-string"))
        {
            w.Message(number, named =>
            {
                named.String(1, name);
                named.Message(2, any => any.String(2, value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value!.ToJsonString()));
            });
        }
    }

    private static string Reference(string v3) =>
        v3.StartsWith(ComponentPrefix, StringComparison.Ordinal) ? "#/definitions/" + v3[ComponentPrefix.Length..] : v3;

    private static byte[] Message(Action<Writer> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(new Writer(output));
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>Writes proto3 fields, leaving out empty strings and false as proto3 does.</summary>
    private sealed class Writer(CodedOutputStream output)
    {
        public void String(int number, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                output.WriteString(value);
            }
        }

        public void Bool(int number, bool value)
        {
            if (value)
            {
                output.WriteTag(number, WireFormat.WireType.Varint);
                output.WriteBool(true);
            }
        }

        public void Message(int number, Action<Writer> write)
        {
            output.WriteTag(number, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(OpenApiV2.Message(write)));
        }
    }
}
