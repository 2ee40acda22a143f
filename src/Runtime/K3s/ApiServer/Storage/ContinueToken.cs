using System.Text.Json;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// The <c>continue</c> token of a paged list, in kube-apiserver's format: base64 of
/// <c>{"v":"meta.k8s.io/v1","rv":N,"start":"&lt;next key after the prefix&gt;"}</c>. Clients treat it as opaque,
/// but keeping the format means a token from one server can be read by another of the same cluster.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    public static string Encode(long revision, string startAfterPrefix)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("v", Version);
            json.WriteNumber("rv", revision);
            json.WriteString("start", startAfterPrefix);
            json.WriteEndObject();
        }

        return Convert.ToBase64String(buffer.ToArray()).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    /// <summary>Reads a token; null when it is not one of ours.</summary>
    public static (long Revision, string Start)? Decode(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
            using var doc = JsonDocument.Parse(Convert.FromBase64String(padded));
            var root = doc.RootElement;
            if (root.GetProperty("v").GetString() != Version)
            {
                return null;
            }

            var revision = root.GetProperty("rv").GetInt64();
            var start = root.GetProperty("start").GetString() ?? string.Empty;
            return revision > 0 && !start.StartsWith('/') && !start.Contains("..", StringComparison.Ordinal) ? (revision, start) : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
