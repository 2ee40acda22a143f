using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>Work-queue keys (<c>namespace/name</c>, <c>name</c> for cluster-scoped objects) and the metadata fields controllers read.</summary>
internal static class ObjectKeys
{
    public static string Of(JsonObject obj) => Key(Namespace(obj), Name(obj));

    public static string Key(string ns, string name) => ns.Length == 0 ? name : $"{ns}/{name}";

    public static (string Namespace, string Name) Split(string key) =>
        key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? (key[..slash], key[(slash + 1)..]) : (string.Empty, key);

    /// <summary>The key of a cache's dictionary (<c>/name</c> for cluster-scoped objects).</summary>
    public static string CacheKey(string ns, string name) => $"{ns}/{name}";

    public static string Name(JsonObject obj) => obj.Obj("metadata").Str("name") ?? string.Empty;

    public static string Namespace(JsonObject obj) => obj.Obj("metadata").Str("namespace") ?? string.Empty;

    public static string Uid(JsonObject obj) => obj.Obj("metadata").Str("uid") ?? string.Empty;

    public static bool IsDeleting(JsonObject obj) => obj.Obj("metadata").Has("deletionTimestamp");

    public static long Generation(JsonObject obj) => obj.Obj("metadata").Long("generation") ?? 0;
}
