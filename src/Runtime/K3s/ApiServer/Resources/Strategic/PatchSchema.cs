namespace K3sLab.K3s.ApiServer.Resources.Strategic;

/// <summary>
/// What a strategic merge patch needs to know about one object type: which fields hold lists merged by a key
/// (<c>containers</c> by <c>name</c>), lists merged as sets of primitives (<c>finalizers</c>), and which fields hold
/// nested types with their own strategies. Any list not named here is atomic (the patch replaces it), and maps
/// merge by field as in a JSON merge patch, which is what the Kubernetes types without patch tags get.
/// </summary>
internal sealed class PatchSchema
{
    private readonly Dictionary<string, PatchField> _fields;

    public PatchSchema(params (string Name, PatchField Field)[] fields) => _fields = fields.ToDictionary(f => f.Name, f => f.Field, StringComparer.Ordinal);

    /// <summary>No strategies: every list atomic.</summary>
    public static PatchSchema None { get; } = new();

    public PatchField? Field(string name) => _fields.GetValueOrDefault(name);
}

/// <summary>
/// One field's patch strategy: <paramref name="MergeKey"/> for lists of objects merged by that key,
/// <paramref name="MergePrimitives"/> for lists of strings or numbers merged as sets, and the schema of the
/// field's value (or of its list elements).
/// </summary>
internal sealed record PatchField(PatchSchema? Schema = null, string? MergeKey = null, bool MergePrimitives = false)
{
    public static PatchField Of(PatchSchema schema) => new(schema);

    public static PatchField ListBy(string key, PatchSchema? element = null) => new(element, key);

    public static PatchField Set { get; } = new(MergePrimitives: true);
}
