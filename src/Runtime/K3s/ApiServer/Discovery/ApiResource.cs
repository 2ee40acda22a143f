namespace K3sLab.K3s.ApiServer.Discovery;

/// <summary>
/// One served resource as discovery describes it: its group/version, plural name, kind, scope, verbs, short names
/// and categories (<c>kubectl get all</c> uses the category <c>all</c>), and its subresources with their verbs.
/// </summary>
internal sealed record ApiResource(
    string Group,
    string Version,
    string Name,
    string SingularName,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<ApiSubresource> Subresources)
{
    /// <summary>Set for a version served from a CustomResourceDefinition: its schema, columns and subresources.</summary>
    public Extensions.CustomResource? Custom { get; init; }

    /// <summary><c>v1</c> for the core group, else <c>group/version</c>.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>A subresource such as <c>pods/status</c>; its kind is the parent's unless it says otherwise.</summary>
internal sealed record ApiSubresource(string Name, IReadOnlyList<string> Verbs, string? Kind = null, string? Group = null, string? Version = null);
