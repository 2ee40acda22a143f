using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>An authenticated user: the name and groups that authorization decides on, with the uid and extra attributes reviews report.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoExtra = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The user's uid (a service account's), when the authenticator knows one.</summary>
    public string? Uid { get; init; }

    /// <summary>Extra attributes, e.g. a service-account token's bound pod and credential id.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = NoExtra;

    /// <summary>The key under which the authenticated user is stored in <c>HttpContext.Items</c>.</summary>
    public const string ItemKey = "k3slab.user";

    /// <summary>The user as review objects show it (<c>userInfo</c>, a TokenReview's <c>user</c>): username, uid, groups and extra, empty ones left out.</summary>
    public JsonObject ToJson()
    {
        static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
        var json = new JsonObject { ["username"] = Name };
        if (Uid is { Length: > 0 } uid)
        {
            json["uid"] = uid;
        }

        json["groups"] = Array(Groups);
        if (Extra.Count > 0)
        {
            json["extra"] = new JsonObject(Extra.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Array(p.Value))));
        }

        return json;
    }
}
