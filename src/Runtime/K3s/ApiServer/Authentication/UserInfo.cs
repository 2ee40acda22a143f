namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>An authenticated user: the name and groups that authorization decides on.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    /// <summary>The key under which the authenticated user is stored in <c>HttpContext.Items</c>.</summary>
    public const string ItemKey = "k3slab.user";
}
