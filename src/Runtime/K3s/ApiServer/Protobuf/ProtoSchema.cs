using System.Collections.Frozen;
using System.Globalization;

namespace K3sLab.K3s.ApiServer.Protobuf;

/// <summary>How a field's value is written on the wire and in JSON.</summary>
internal enum ProtoType
{
    String,
    Bytes,
    Int32,
    Int64,
    Bool,
    Double,

    /// <summary>resource.Quantity: a message holding the canonical string.</summary>
    Quantity,

    /// <summary>metav1.Time: seconds and nanos, written in JSON as RFC 3339 to the second.</summary>
    Time,

    /// <summary>metav1.MicroTime: as Time, written with microseconds.</summary>
    MicroTime,

    /// <summary>intstr.IntOrString: type, intVal, strVal.</summary>
    IntOrString,

    /// <summary>runtime.RawExtension and metav1.FieldsV1: JSON bytes.</summary>
    Raw,

    /// <summary>authentication ExtraValue: a message wrapping a list of strings.</summary>
    StringList,

    Message,
}

/// <summary>
/// One field: its JSON name (empty when the message is inlined into its parent, as Go's embedded structs are),
/// whether it repeats or is a map (string keys), and whether a zero value is still written (pointer fields and
/// fields without <c>omitempty</c>).
/// </summary>
internal sealed record ProtoField(int Number, string Json, ProtoType Type, string? Message, bool Repeated, bool Map, bool KeepZero)
{
    /// <summary>The Go type's <c>patchStrategy</c> tag (<c>merge</c>, <c>retainKeys</c>, <c>merge,retainKeys</c>, <c>replace</c>), if any.</summary>
    public string? PatchStrategy { get; init; }

    /// <summary>The <c>patchMergeKey</c> tag: the field that identifies list elements in a strategic merge.</summary>
    public string? MergeKey { get; init; }

    public bool Inline => Json.Length == 0;
}

/// <summary>
/// The schemas of <see cref="ProtoSchemaTable"/>, parsed once. Each message is its Go package (<c>@core/v1</c>)
/// and a list of <c>number json type</c> entries, separated by <c>;</c>. Types: <c>s</c> string, <c>b</c> bytes, <c>i32</c>, <c>i64</c>, <c>bool</c>,
/// <c>f64</c>, <c>q</c> Quantity, <c>t</c> Time, <c>mt</c> MicroTime, <c>ios</c> IntOrString, <c>raw</c> JSON
/// bytes, <c>xv</c> list of strings, or a message name. <c>[]</c> before a type repeats it, <c>{type}</c> is a map
/// from string, a <c>!</c> after the type keeps zero values, a JSON name of <c>^</c> inlines the message, and a
/// <c>~strategy[:mergeKey]</c> suffix carries the field's strategic-merge-patch tags.
/// </summary>
internal static class ProtoSchema
{
    private static readonly FrozenDictionary<string, FrozenDictionary<int, ProtoField>> Parsed =
        ProtoSchemaTable.Messages.ToFrozenDictionary(m => m.Key, m => Parse(m.Value), StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> Packages =
        ProtoSchemaTable.Messages.ToFrozenDictionary(m => m.Key, m => m.Value[1..m.Value.IndexOf(';', StringComparison.Ordinal)], StringComparer.Ordinal);

    public static FrozenDictionary<int, ProtoField>? Message(string name) => Parsed.GetValueOrDefault(name);

    /// <summary>The Go package a message comes from, as <c>group/version</c> (<c>core/v1</c>, <c>apps/v1</c>, <c>meta/v1</c>).</summary>
    public static string? Package(string name) => Packages.GetValueOrDefault(name);

    /// <summary>
    /// The schema of a served kind: the message named like the kind, from the package of the API group
    /// (<c>core</c> for the core group, else the group's first label, as the Go packages are named).
    /// </summary>
    public static FrozenDictionary<int, ProtoField>? Kind(string group, string version, string kind) =>
        KindMessage(group, version, kind) is { } name ? Message(name) : null;

    /// <summary>
    /// The table's name for a served kind's message: the kind itself, or, for a kind whose name another version of
    /// its group already uses in the table (autoscaling/v1 and v2 both have HorizontalPodAutoscaler), the kind
    /// followed by <c>.</c> and the version. Null when the table has no message for that group and version.
    /// </summary>
    public static string? KindMessage(string group, string version, string kind)
    {
        var package = (group.Length == 0 ? "core" : group.Split('.')[0]) + "/" + version;
        var versioned = kind + "." + version;
        return Package(versioned) == package ? versioned : Package(kind) == package ? kind : null;
    }

    /// <summary>The message a body of <paramref name="apiVersion"/> (<c>group/version</c> or <c>v1</c>) and <paramref name="kind"/> decodes with.</summary>
    public static string MessageFor(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var (group, version) = slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return KindMessage(group, version, kind) ?? kind;
    }

    /// <summary>The kinds whose bodies can be decoded (messages that carry object metadata or are reviews).</summary>
    public static IEnumerable<string> Names => Parsed.Keys;

    private static FrozenDictionary<int, ProtoField> Parse(string spec)
    {
        var fields = new Dictionary<int, ProtoField>();
        foreach (var entry in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1))
        {
            var parts = entry.Split(' ');
            var number = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var json = parts[1] == "^" ? string.Empty : parts[1];
            var type = parts[2];
            string? strategy = null, mergeKey = null;
            if (type.IndexOf('~', StringComparison.Ordinal) is var tilde and >= 0)
            {
                var patch = type[(tilde + 1)..].Split(':');
                (strategy, mergeKey, type) = (patch[0], patch.Length > 1 ? patch[1] : null, type[..tilde]);
            }

            var keep = type.EndsWith('!');
            type = type.TrimEnd('!');
            var repeated = type.StartsWith("[]", StringComparison.Ordinal);
            type = repeated ? type[2..] : type;
            var map = type.StartsWith('{');
            type = map ? type[1..^1] : type;
            var (kind, message) = type switch
            {
                "s" => (ProtoType.String, null),
                "b" => (ProtoType.Bytes, null),
                "i32" => (ProtoType.Int32, null),
                "i64" => (ProtoType.Int64, null),
                "bool" => (ProtoType.Bool, null),
                "f64" => (ProtoType.Double, null),
                "q" => (ProtoType.Quantity, null),
                "t" => (ProtoType.Time, null),
                "mt" => (ProtoType.MicroTime, null),
                "ios" => (ProtoType.IntOrString, null),
                "raw" => (ProtoType.Raw, null),
                "xv" => (ProtoType.StringList, null),
                _ => (ProtoType.Message, (string?)type),
            };
            fields[number] = new ProtoField(number, json, kind, message, repeated, map, keep) { PatchStrategy = strategy, MergeKey = mergeKey };
        }

        return fields.ToFrozenDictionary();
    }
}
