using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// kube-apiserver's RBAC escalation check: a user may write a Role or ClusterRole only with rules they hold
/// themselves (in that namespace, or cluster-wide for a ClusterRole), unless they have the <c>escalate</c> verb on
/// it; and may bind a role only if they hold all its rules, unless they have the <c>bind</c> verb on it. A refusal
/// is a 403 naming the rules not held, in kube-apiserver's words. Members of <c>system:masters</c> pass.
/// </summary>
internal static class RbacEscalation
{
    private const string Group = "rbac.authorization.k8s.io";

    public static void Check(UserInfo? user, ApiResource resource, string ns, JsonObject body, RbacPolicyCache policy)
    {
        if (user is null || resource.Group != Group || user.Groups.Contains(RbacAuthorizer.SuperuserGroup))
        {
            return;
        }

        var name = body["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        IReadOnlyList<PolicyRule> granted;
        switch (resource.Name)
        {
            case "roles" or "clusterroles":
                if (policy.Allows(user, new AccessRequest("escalate", Group, resource.Name, string.Empty, ns, name)))
                {
                    return;
                }

                granted = [.. (body["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(RbacObjects.Rule)];
                break;
            case "rolebindings" or "clusterrolebindings":
                var roleKind = body["roleRef"]?["kind"]?.GetValue<string>() ?? string.Empty;
                var roleName = body["roleRef"]?["name"]?.GetValue<string>() ?? string.Empty;
                var roleResource = roleKind == "ClusterRole" ? "clusterroles" : "roles";
                var roleNamespace = roleKind == "ClusterRole" ? string.Empty : ns;
                if (policy.Allows(user, new AccessRequest("bind", Group, roleResource, string.Empty, roleNamespace, roleName)))
                {
                    return;
                }

                granted = policy.RoleRules(roleNamespace, roleName);
                break;
            default:
                return;
        }

        var missing = granted.SelectMany(rule => Uncovered(user, ns, rule, policy)).ToList();
        if (missing.Count > 0)
        {
            var groups = string.Join(' ', user.Groups.Select(Quote));
            throw ApiErrors.ForbiddenObject(Group, resource.Name, name,
                $"user {Quote(user.Name)} (groups=[{groups}]) is attempting to grant RBAC permissions not currently held:\n{string.Join('\n', missing)}");
        }
    }

    /// <summary>The parts of <paramref name="rule"/> the user does not hold, one compact rule per group/resource/name.</summary>
    private static IEnumerable<string> Uncovered(UserInfo user, string ns, PolicyRule rule, RbacPolicyCache policy)
    {
        foreach (var url in rule.NonResourceUrls)
        {
            var verbs = rule.Verbs.Where(v => !policy.Allows(user, new AccessRequest(v, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, url))).ToList();
            if (verbs.Count > 0)
            {
                yield return $"{{NonResourceURLs:[{Quote(url)}], Verbs:[{string.Join(' ', verbs.Select(Quote))}]}}";
            }
        }

        foreach (var group in rule.ApiGroups)
        {
            foreach (var resource in rule.Resources)
            {
                var (plural, subresource) = resource.Split('/', 2) is [var p, var s] ? (p, s) : (resource, string.Empty);
                var names = rule.ResourceNames.Count > 0 ? rule.ResourceNames : [string.Empty];
                foreach (var name in names)
                {
                    var verbs = rule.Verbs.Where(v => !policy.Allows(user, new AccessRequest(v, group, plural, subresource, ns, name))).ToList();
                    if (verbs.Count > 0)
                    {
                        var resourceNames = name.Length > 0 ? $", ResourceNames:[{Quote(name)}]" : string.Empty;
                        yield return $"{{APIGroups:[{Quote(group)}], Resources:[{Quote(resource)}]{resourceNames}, Verbs:[{string.Join(' ', verbs.Select(Quote))}]}}";
                    }
                }
            }
        }
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
