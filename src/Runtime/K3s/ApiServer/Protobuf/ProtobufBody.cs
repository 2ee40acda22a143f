using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Protobuf;

/// <summary>
/// Reads a request body in Kubernetes' protobuf encoding (<c>application/vnd.kubernetes.protobuf</c>) into the JSON
/// object the rest of the server works on. The body is the 4-byte magic <c>k8s\0</c> followed by a
/// <c>runtime.Unknown</c> envelope: the TypeMeta (apiVersion, kind) and the object's own bytes. The object is
/// decoded field by field with <see cref="ProtoSchema"/>, writing JSON as Go's encoder writes the same Go value:
/// zero scalars of <c>omitempty</c> fields are left out, maps and lists keep their entries, times become RFC 3339.
/// Fields the schema does not know are skipped, as protobuf readers do.
/// </summary>
internal static class ProtobufBody
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    public static async Task<JsonObject> ReadAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, ct);
        return Decode(buffer.ToArray());
    }

    public static JsonObject Decode(byte[] body)
    {
        if (!body.AsSpan().StartsWith(Magic))
        {
            throw ApiErrors.BadRequest("the protobuf body does not start with the Kubernetes magic number \"k8s\\x00\"");
        }

        try
        {
            var (apiVersion, kind, raw, encoding) = Envelope(new CodedInputStream(body, Magic.Length, body.Length - Magic.Length));
            if (encoding.Length > 0)
            {
                throw ApiErrors.UnsupportedMediaType($"{MediaType} with content encoding {encoding}");
            }

            var schema = ProtoSchema.Message(ProtoSchema.MessageFor(apiVersion, kind))
                ?? throw new ApiStatusException(415, "UnsupportedMediaType", $"this server decodes protobuf bodies only for the built-in kinds it knows; send {kind} ({apiVersion}) as application/json");
            var obj = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
            ReadMessage(new CodedInputStream(raw), schema, obj);
            return obj;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiErrors.BadRequest($"the protobuf body is malformed: {e.Message}");
        }
    }

    private static (string ApiVersion, string Kind, byte[] Raw, string Encoding) Envelope(CodedInputStream input)
    {
        string apiVersion = string.Empty, kind = string.Empty, encoding = string.Empty;
        var raw = Array.Empty<byte>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    var typeMeta = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint inner;
                    while ((inner = typeMeta.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(inner))
                        {
                            case 1: apiVersion = typeMeta.ReadString(); break;
                            case 2: kind = typeMeta.ReadString(); break;
                            default: typeMeta.SkipLastField(); break;
                        }
                    }

                    break;
                case 2: raw = input.ReadBytes().ToByteArray(); break;
                case 3: encoding = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }

        return (apiVersion, kind, raw, encoding);
    }

    private static void ReadMessage(CodedInputStream input, FrozenDictionary<int, ProtoField> schema, JsonObject target)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!schema.TryGetValue(WireFormat.GetTagFieldNumber(tag), out var field))
            {
                input.SkipLastField();
                continue;
            }

            if (field.Map)
            {
                var (key, value) = ReadMapEntry(input, field);
                var map = target[field.Json] as JsonObject ?? (JsonObject)(target[field.Json] = new JsonObject());
                map[key] = value;
            }
            else if (field.Repeated)
            {
                var list = target[field.Json] as JsonArray ?? (JsonArray)(target[field.Json] = new JsonArray());
                if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited && IsNumeric(field.Type))
                {
                    // Packed numbers: one length-delimited run of values.
                    var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                    while (!packed.IsAtEnd)
                    {
                        list.Add(ReadValue(packed, field));
                    }
                }
                else
                {
                    list.Add(ReadValue(input, field));
                }
            }
            else if (field.Inline)
            {
                ReadMessage(new CodedInputStream(input.ReadBytes().ToByteArray()), Schema(field), target);
            }
            else
            {
                var value = ReadValue(input, field);
                if (field.KeepZero || field.Type is ProtoType.Message or ProtoType.Time or ProtoType.MicroTime or ProtoType.Quantity or ProtoType.IntOrString or ProtoType.Raw || !IsZero(value))
                {
                    target[field.Json] = value;
                }
                else
                {
                    target.Remove(field.Json);
                }
            }
        }
    }

    private static (string Key, JsonNode? Value) ReadMapEntry(CodedInputStream input, ProtoField field)
    {
        var entry = new CodedInputStream(input.ReadBytes().ToByteArray());
        var key = string.Empty;
        JsonNode? value = field.Type switch
        {
            ProtoType.String or ProtoType.Bytes => string.Empty,
            _ => null,
        };
        uint tag;
        while ((tag = entry.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = entry.ReadString(); break;
                case 2: value = ReadValue(entry, field); break;
                default: entry.SkipLastField(); break;
            }
        }

        return (key, value);
    }

    private static JsonNode? ReadValue(CodedInputStream input, ProtoField field) => field.Type switch
    {
        ProtoType.String => input.ReadString(),
        ProtoType.Bytes => Convert.ToBase64String(input.ReadBytes().Span),
        ProtoType.Int32 => input.ReadInt32(),
        ProtoType.Int64 => input.ReadInt64(),
        ProtoType.Bool => input.ReadBool(),
        ProtoType.Double => input.ReadDouble(),
        ProtoType.Quantity => Nested(input, (message, tag) => WireFormat.GetTagFieldNumber(tag) == 1 ? message.ReadString() : Skip<string>(message)) ?? "0",
        ProtoType.Time => Timestamp(input, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'"),
        ProtoType.MicroTime => Timestamp(input, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'"),
        ProtoType.IntOrString => IntOrString(input),
        ProtoType.Raw => RawJson(input),
        ProtoType.StringList => StringList(input),
        _ => Message(input, field),
    };

    private static JsonObject Message(CodedInputStream input, ProtoField field)
    {
        var obj = new JsonObject();
        ReadMessage(new CodedInputStream(input.ReadBytes().ToByteArray()), Schema(field), obj);
        return obj;
    }

    private static FrozenDictionary<int, ProtoField> Schema(ProtoField field) =>
        ProtoSchema.Message(field.Message!) ?? throw new InvalidOperationException($"the protobuf schema names {field.Message}, which it does not define");

    private static JsonNode? Timestamp(CodedInputStream input, string format)
    {
        long seconds = 0;
        var nanos = 0;
        var message = new CodedInputStream(input.ReadBytes().ToByteArray());
        uint tag;
        while ((tag = message.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: seconds = message.ReadInt64(); break;
                case 2: nanos = message.ReadInt32(); break;
                default: message.SkipLastField(); break;
            }
        }

        if (seconds == 0 && nanos == 0)
        {
            return null;
        }

        var time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
        return time.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
    }

    private static JsonNode IntOrString(CodedInputStream input)
    {
        long type = 0;
        var intValue = 0;
        var text = string.Empty;
        var message = new CodedInputStream(input.ReadBytes().ToByteArray());
        uint tag;
        while ((tag = message.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: type = message.ReadInt64(); break;
                case 2: intValue = message.ReadInt32(); break;
                case 3: text = message.ReadString(); break;
                default: message.SkipLastField(); break;
            }
        }

        return type == 1 ? JsonValue.Create(text) : JsonValue.Create(intValue);
    }

    private static JsonNode? RawJson(CodedInputStream input)
    {
        var bytes = Nested(input, (message, tag) => WireFormat.GetTagFieldNumber(tag) == 1 ? message.ReadBytes().ToByteArray() : Skip<byte[]>(message));
        if (bytes is not { Length: > 0 })
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            throw ApiErrors.BadRequest("an embedded object in the protobuf body is not JSON: nested protobuf objects are not supported");
        }
    }

    private static JsonArray StringList(CodedInputStream input)
    {
        var list = new JsonArray();
        var message = new CodedInputStream(input.ReadBytes().ToByteArray());
        uint tag;
        while ((tag = message.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                list.Add((JsonNode)message.ReadString());
            }
            else
            {
                message.SkipLastField();
            }
        }

        return list;
    }

    /// <summary>Reads a one-value wrapper message, returning the last value <paramref name="read"/> gave (null if none).</summary>
    private static T? Nested<T>(CodedInputStream input, Func<CodedInputStream, uint, T?> read)
        where T : class
    {
        var message = new CodedInputStream(input.ReadBytes().ToByteArray());
        T? result = null;
        uint tag;
        while ((tag = message.ReadTag()) != 0)
        {
            result = read(message, tag) ?? result;
        }

        return result;
    }

    private static T? Skip<T>(CodedInputStream message)
        where T : class
    {
        message.SkipLastField();
        return null;
    }

    private static bool IsNumeric(ProtoType type) => type is ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool or ProtoType.Double;

    private static bool IsZero(JsonNode? value) => value switch
    {
        null => true,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        JsonValue v when v.TryGetValue<bool>(out var b) => !b,
        JsonValue v when v.TryGetValue<int>(out var i) => i == 0,
        JsonValue v when v.TryGetValue<long>(out var l) => l == 0,
        JsonValue v when v.TryGetValue<double>(out var d) => d == 0,
        _ => false,
    };
}
