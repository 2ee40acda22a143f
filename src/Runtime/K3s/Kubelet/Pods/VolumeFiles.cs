using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>One file of a volume: a path relative to the volume's directory, its content and mode.</summary>
internal sealed record VolumeFile(string Path, byte[] Content, UnixFileMode Mode);

/// <summary>
/// The files of the projected kinds of volume, as the kubelet writes them: <c>configMap</c> (data and binaryData,
/// or only <c>items</c> when given), <c>secret</c> (base64-decoded data), <c>downwardAPI</c> (fieldRef items, label
/// and annotation maps as <c>key="value"</c> lines). Mode from the item, else the <c>defaultMode</c> of the volume
/// (of the <c>projected</c> volume for its sources), else 0644. A path
/// that is absolute or climbs out with <c>..</c> is refused. Pure.
/// </summary>
internal static class VolumeFiles
{
    public const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The files of a configMap or secret volume <paramref name="source"/> for the stored object.</summary>
    /// <exception cref="FormatException">An item names a key the object lacks, or a bad path.</exception>
    public static List<VolumeFile> FromKeys(JsonObject source, JsonObject stored, bool secret, UnixFileMode? projectedMode = null)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in stored["data"] as JsonObject ?? [])
        {
            values[key] = secret ? Convert.FromBase64String(value?.GetValue<string>() ?? string.Empty) : Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? string.Empty);
        }

        foreach (var (key, value) in stored["binaryData"] as JsonObject ?? [])
        {
            values[key] = Convert.FromBase64String(value?.GetValue<string>() ?? string.Empty);
        }

        var mode = projectedMode ?? Mode(source["defaultMode"]) ?? DefaultMode;
        if (source["items"] is JsonArray { Count: > 0 } items)
        {
            return [.. items.OfType<JsonObject>().Select(item =>
            {
                var key = item["key"]?.GetValue<string>() ?? string.Empty;
                return values.TryGetValue(key, out var content)
                    ? new VolumeFile(CheckPath(item["path"]?.GetValue<string>() ?? key), content, Mode(item["mode"]) ?? mode)
                    : throw new FormatException($"configuration key \"{key}\" is not present");
            })];
        }

        return [.. values.Select(p => new VolumeFile(CheckPath(p.Key), p.Value, mode))];
    }

    /// <summary>The files of a downwardAPI volume <paramref name="source"/> for <paramref name="pod"/>.</summary>
    public static List<VolumeFile> FromDownwardApi(JsonObject source, JsonObject pod, string podIp, UnixFileMode? projectedMode = null)
    {
        var mode = projectedMode ?? Mode(source["defaultMode"]) ?? DefaultMode;
        var files = new List<VolumeFile>();
        foreach (var item in (source["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var field = item["fieldRef"]?["fieldPath"]?.GetValue<string>()
                ?? throw new FormatException($"downwardAPI item {item["path"]}: only fieldRef is supported by the process runtime");
            var text = field switch
            {
                "metadata.labels" => Pairs(pod["metadata"]?["labels"] as JsonObject),
                "metadata.annotations" => Pairs(pod["metadata"]?["annotations"] as JsonObject),
                _ => ContainerEnvironment.FieldRef(pod, field, podIp) ?? throw new FormatException($"unsupported fieldRef fieldPath \"{field}\""),
            };
            files.Add(new VolumeFile(CheckPath(item["path"]?.GetValue<string>() ?? string.Empty), Encoding.UTF8.GetBytes(text), Mode(item["mode"]) ?? mode));
        }

        return files;
    }

    private static string Pairs(JsonObject? map) =>
        string.Join('\n', (map ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}=\"{p.Value}\""));

    /// <summary>A relative path inside a volume; one that is absolute or climbs out with <c>..</c> is a <see cref="FormatException"/>.</summary>
    public static string CheckPath(string path) =>
        path.Length == 0 || path.StartsWith('/') || path.Split('/').Contains("..")
            ? throw new FormatException($"path \"{path}\" must be relative and may not contain '..'")
            : path;

    /// <summary>A mode field (<c>defaultMode</c>, <c>mode</c>) as permission bits; null when absent.</summary>
    public static UnixFileMode? Mode(JsonNode? node) =>
        node is JsonValue v && int.TryParse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var bits) ? (UnixFileMode)(bits & 0x1FF) : null;
}
