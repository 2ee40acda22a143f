namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>One RBAC rule: what verbs on which resources (or non-resource URLs) it allows; <c>*</c> matches all.</summary>
internal sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls);

/// <summary>A Role (namespaced) or ClusterRole (<see cref="Namespace"/> empty) and its rules.</summary>
internal sealed record RbacRole(string Namespace, string Name, IReadOnlyList<PolicyRule> Rules);

/// <summary>Who a binding grants to: a <c>User</c>, a <c>Group</c>, or a <c>ServiceAccount</c> (with its namespace).</summary>
internal sealed record RbacSubject(string Kind, string Name, string Namespace = "");

/// <summary>
/// A RoleBinding (namespaced; its role may be a ClusterRole, granted only in the binding's namespace) or a
/// ClusterRoleBinding (<see cref="Namespace"/> empty; its role is a ClusterRole, granted everywhere).
/// </summary>
internal sealed record RbacBinding(string Namespace, string Name, string RoleKind, string RoleName, IReadOnlyList<RbacSubject> Subjects);

/// <summary>What is being asked: a resource request (<see cref="Resource"/> set) or a non-resource path.</summary>
internal sealed record AccessRequest(
    string Verb,
    string Group,
    string Resource,
    string Subresource,
    string Namespace,
    string Name,
    string? Path = null)
{
    public bool IsResourceRequest => Path is null;
}
