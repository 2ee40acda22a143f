using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// What every server of a cluster must share, as <c>/v1-k3s/server-bootstrap</c> hands it to a joining server: the
/// cluster CAs with their keys, the service-account signing key, the embedded datastore's CAs, and the passwd file
/// that join tokens are checked against. The wire form is k3s's: a JSON object from each item's name to
/// <c>{"Timestamp": RFC 3339, "Content": base64}</c>.
/// </summary>
internal static class BootstrapData
{
    /// <summary>Item name → path under <c>server/</c>. Keys and the passwd file are written owner-only.</summary>
    private static readonly (string Name, string Path, bool Secret)[] Items =
    [
        ("ServerCA", "tls/server-ca.crt", false),
        ("ServerCAKey", "tls/server-ca.key", true),
        ("ClientCA", "tls/client-ca.crt", false),
        ("ClientCAKey", "tls/client-ca.key", true),
        ("RequestHeaderCA", "tls/request-header-ca.crt", false),
        ("RequestHeaderCAKey", "tls/request-header-ca.key", true),
        ("ServiceKey", "tls/service.key", true),
        ("ETCDServerCA", "tls/etcd/server-ca.crt", false),
        ("ETCDServerCAKey", "tls/etcd/server-ca.key", true),
        ("ETCDPeerCA", "tls/etcd/peer-ca.crt", false),
        ("ETCDPeerCAKey", "tls/etcd/peer-ca.key", true),
        ("PasswdFile", "cred/passwd", true),
    ];

    /// <summary>Reads the items present under the data dir into the wire form.</summary>
    public static string Render(DataDir dataDir)
    {
        var root = new JsonObject();
        foreach (var (name, path, _) in Items)
        {
            var file = Path.Combine(dataDir.Server, path);
            if (!File.Exists(file))
            {
                continue;
            }

            root[name] = new JsonObject
            {
                ["Timestamp"] = File.GetLastWriteTimeUtc(file).ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
                ["Content"] = Convert.ToBase64String(File.ReadAllBytes(file)),
            };
        }

        return root.ToJsonString();
    }

    /// <summary>
    /// Writes the items of <paramref name="json"/> under the data dir (each atomically), and returns how many it wrote.
    /// Every item is required (a server cannot take part without all of them), except that the embedded datastore's
    /// CAs may be missing when <paramref name="embeddedStore"/> is false: servers on an external datastore have none.
    /// </summary>
    /// <exception cref="BootstrapException">The document is not bootstrap data or lacks an item.</exception>
    public static int Write(DataDir dataDir, string json, bool embeddedStore = true)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new BootstrapException("the server's bootstrap data is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new BootstrapException($"the server's bootstrap data is not JSON: {e.Message}");
        }

        var decoded = new List<(string Path, byte[] Content, bool Secret)>();
        foreach (var (name, path, secret) in Items)
        {
            if (!embeddedStore && name.StartsWith("ETCD", StringComparison.Ordinal) && root[name] is null)
            {
                continue;
            }

            if (root[name] is not JsonObject item || item["Content"]?.GetValue<string>() is not { } content)
            {
                throw new BootstrapException($"the server's bootstrap data lacks {name}; is it a k3s server with the embedded datastore?");
            }

            try
            {
                decoded.Add((Path.Combine(dataDir.Server, path), Convert.FromBase64String(content), secret));
            }
            catch (FormatException)
            {
                throw new BootstrapException($"the server's bootstrap data item {name} is not base64");
            }
        }

        foreach (var (path, content, secret) in decoded)
        {
            AtomicFile.Write(path, System.Text.Encoding.UTF8.GetString(content), secret ? AtomicFile.OwnerOnly : AtomicFile.WorldReadable);
        }

        return decoded.Count;
    }
}
