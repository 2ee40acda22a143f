using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// The <c>pod-template-hash</c> a Deployment gives each ReplicaSet it makes (upstream's ComputeHash): FNV-32a over the
/// pod template and the collision count, its decimal digits rendered in the alphabet of names that cannot spell words.
/// The template is hashed in a canonical form (object keys sorted), so the same template always gives the same hash
/// whatever order its fields were written in; the value differs from upstream's, which hashes Go's struct dump.
/// </summary>
internal static class PodTemplateHash
{
    public const string Label = "pod-template-hash";
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static string Of(JsonObject? template, long? collisionCount)
    {
        var hash = OffsetBasis;
        foreach (var b in Canonical(template))
        {
            hash = (hash ^ b) * Prime;
        }

        if (collisionCount is { } collisions)
        {
            // Go writes the count as 4 little-endian bytes of its uint32.
            var value = unchecked((uint)collisions);
            for (var i = 0; i < 4; i++)
            {
                hash = (hash ^ (byte)(value >> (8 * i))) * Prime;
            }
        }

        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            encoded.Append(SafeAlphabet[c % SafeAlphabet.Length]);
        }

        return encoded.ToString();
    }

    /// <summary>The template as UTF-8 JSON with every object's keys in ordinal order.</summary>
    private static byte[] Canonical(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
