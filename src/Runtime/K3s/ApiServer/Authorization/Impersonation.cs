using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// kube-apiserver's user impersonation (<c>kubectl --as</c>, <c>--as-group</c>): the <c>Impersonate-User</c>,
/// <c>Impersonate-Group</c>, <c>Impersonate-Uid</c> and <c>Impersonate-Extra-*</c> headers replace the
/// authenticated user for the rest of the request, if the real user may <c>impersonate</c> each of them (users,
/// groups, service accounts, uids, user extras). Without the right the request is a 403 naming what was asked.
/// The impersonated user carries the uid and the extras (keys unescaped and lowercased, as kube's filter reads them),
/// so SelfSubjectReview (<c>kubectl auth whoami --as-uid</c>) and the audit see them.
/// </summary>
internal static class Impersonation
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraPrefix = "Impersonate-Extra-";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    public static bool Requested(IHeaderDictionary headers) =>
        headers.ContainsKey(UserHeader) || headers.ContainsKey(GroupHeader) || headers.ContainsKey(UidHeader)
        || headers.Keys.Any(k => k.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>The impersonated user, after checking that <paramref name="real"/> may impersonate every part of it.</summary>
    public static UserInfo Apply(UserInfo real, IHeaderDictionary headers, Func<UserInfo, AccessRequest, bool> allows)
    {
        var name = headers[UserHeader].ToString();
        var requested = headers[GroupHeader].Select(g => (g ?? string.Empty).Trim()).Where(g => g.Length > 0).ToList();
        var groups = new List<string>(requested);
        if (name.Length == 0)
        {
            throw ApiErrors.BadRequest("impersonating groups, a uid or extra fields needs a user to impersonate (the Impersonate-User header)");
        }

        var checks = new List<AccessRequest>();
        if (name.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) && name[ServiceAccountPrefix.Length..].Split(':') is [var ns, var account])
        {
            checks.Add(new AccessRequest("impersonate", string.Empty, "serviceaccounts", string.Empty, ns, account));
            groups.AddRange(["system:serviceaccounts", $"system:serviceaccounts:{ns}"]);
        }
        else
        {
            checks.Add(new AccessRequest("impersonate", string.Empty, "users", string.Empty, string.Empty, name));
        }

        checks.AddRange(requested.Select(g => new AccessRequest("impersonate", string.Empty, "groups", string.Empty, string.Empty, g)));
        var uid = headers[UidHeader].ToString();
        if (uid.Length > 0)
        {
            checks.Add(new AccessRequest("impersonate", "authentication.k8s.io", "uids", string.Empty, string.Empty, uid));
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var header in headers.Where(h => h.Key.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase)))
        {
            var key = Uri.UnescapeDataString(header.Key[ExtraPrefix.Length..].ToLowerInvariant());
            var values = header.Value.Select(v => v ?? string.Empty).ToList();
            checks.AddRange(values.Select(v => new AccessRequest("impersonate", "authentication.k8s.io", "userextras", key, string.Empty, v)));
            extra[key] = extra.TryGetValue(key, out var earlier) ? [.. earlier, .. values] : values;
        }

        foreach (var check in checks.Where(c => !allows(real, c)))
        {
            throw ApiErrors.Forbidden(real.Name, check.Verb, check.Group, check.Resource, check.Name, check.Namespace, check.Subresource);
        }

        if (name != "system:anonymous" && !groups.Contains("system:authenticated"))
        {
            groups.Add("system:authenticated");
        }

        return new UserInfo(name, groups.Distinct().ToList()) { Uid = uid.Length > 0 ? uid : null, Extra = extra };
    }
}
