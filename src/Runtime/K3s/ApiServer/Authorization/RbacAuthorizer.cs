using K3sLab.K3s.ApiServer.Authentication;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// Kubernetes RBAC: a request is allowed when some binding that names the user (directly, by a group, or as its
/// service account) points at a role with a rule covering the verb, group, resource/subresource and name (or the
/// non-resource path). Members of <c>system:masters</c> are allowed everything, as kube-apiserver's superuser
/// group. There are no deny rules. Pure: the caller passes the current roles and bindings.
/// </summary>
internal static class RbacAuthorizer
{
    public const string SuperuserGroup = "system:masters";

    public static bool Allows(UserInfo user, AccessRequest request, IEnumerable<RbacRole> roles, IEnumerable<RbacBinding> bindings)
    {
        if (user.Groups.Contains(SuperuserGroup))
        {
            return true;
        }

        var roleIndex = roles.ToLookup(r => (r.Namespace, r.Name));
        foreach (var binding in bindings)
        {
            var clusterWide = binding.Namespace.Length == 0;
            if (!clusterWide && binding.Namespace != request.Namespace)
            {
                continue;
            }

            if (!binding.Subjects.Any(s => Names(s, user)))
            {
                continue;
            }

            var roleNamespace = binding.RoleKind == "ClusterRole" ? string.Empty : binding.Namespace;
            foreach (var role in roleIndex[(roleNamespace, binding.RoleName)])
            {
                if (role.Rules.Any(rule => Covers(rule, request)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The rules granted to the user in <paramref name="ns"/> (cluster-wide grants included), as a rules review lists
    /// them; superusers get the wildcard rules.
    /// </summary>
    public static IReadOnlyList<PolicyRule> RulesFor(UserInfo user, string ns, IEnumerable<RbacRole> roles, IEnumerable<RbacBinding> bindings)
    {
        if (user.Groups.Contains(SuperuserGroup))
        {
            return [new(["*"], ["*"], ["*"], [], []), new(["*"], [], [], [], ["*"])];
        }

        var roleIndex = roles.ToLookup(r => (r.Namespace, r.Name));
        var rules = new List<PolicyRule>();
        foreach (var binding in bindings.Where(b => (b.Namespace.Length == 0 || b.Namespace == ns) && b.Subjects.Any(s => Names(s, user))))
        {
            var roleNamespace = binding.RoleKind == "ClusterRole" ? string.Empty : binding.Namespace;
            rules.AddRange(roleIndex[(roleNamespace, binding.RoleName)].SelectMany(r => r.Rules));
        }

        return rules;
    }

    internal static bool Names(RbacSubject subject, UserInfo user) => subject.Kind switch
    {
        "User" => subject.Name == user.Name,
        "Group" => user.Groups.Contains(subject.Name),
        "ServiceAccount" => user.Name == $"system:serviceaccount:{subject.Namespace}:{subject.Name}",
        _ => false,
    };

    internal static bool Covers(PolicyRule rule, AccessRequest request)
    {
        if (!Matches(rule.Verbs, request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return rule.NonResourceUrls.Any(url => url == "*" || url == request.Path
                || (url.EndsWith('*') && request.Path!.StartsWith(url[..^1], StringComparison.Ordinal)));
        }

        var resource = request.Subresource.Length == 0 ? request.Resource : $"{request.Resource}/{request.Subresource}";
        return Matches(rule.ApiGroups, request.Group)
            && rule.Resources.Any(r => r == "*" || r == resource || (request.Subresource.Length > 0 && r == $"*/{request.Subresource}"))
            && (rule.ResourceNames.Count == 0 || (request.Name.Length > 0 && rule.ResourceNames.Contains(request.Name)));
    }

    private static bool Matches(IReadOnlyList<string> allowed, string value) => allowed.Contains("*") || allowed.Contains(value);
}
