namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// Where a resource's objects live in the datastore and how errors name it: keys are
/// <c>/registry/{resource}/{namespace}/{name}</c> for namespaced resources and <c>/registry/{resource}/{name}</c>
/// otherwise, with the API group in front of the resource for groups other than the built-in ones.
/// </summary>
internal sealed record ResourceKind(string Group, string Resource, bool Namespaced)
{
    public string Prefix => Group.Length == 0 || Group.EndsWith(".k8s.io", StringComparison.Ordinal) || !Group.Contains('.', StringComparison.Ordinal)
        ? $"/registry/{Resource}/"
        : $"/registry/{Group}/{Resource}/";

    /// <summary>The key of one object; <paramref name="ns"/> is ignored for cluster-scoped resources.</summary>
    public string Key(string ns, string name) => Namespaced ? $"{Prefix}{ns}/{name}" : $"{Prefix}{name}";

    /// <summary>The prefix of a list: one namespace, or every object of the resource when <paramref name="ns"/> is empty.</summary>
    public string ListPrefix(string ns) => Namespaced && ns.Length > 0 ? $"{Prefix}{ns}/" : Prefix;
}
