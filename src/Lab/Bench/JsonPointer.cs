using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.Lab.Bench;

/// <summary>RFC 6901 JSON pointers (<c>/benchmarks/Store.Append/bytesPerOperation</c>, <c>/phases/0/p99Ms</c>), so metric names may hold dots.</summary>
internal static class JsonPointer
{
    /// <summary>The node <paramref name="pointer"/> names in <paramref name="root"/>, or null when a step is missing.</summary>
    public static JsonNode? Resolve(JsonNode? root, string pointer)
    {
        var node = root;
        foreach (var raw in pointer.Split('/').Skip(1))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(token, out var child) ? child : null,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }
}
