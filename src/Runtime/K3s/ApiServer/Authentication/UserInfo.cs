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
}
