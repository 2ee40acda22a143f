using System.Collections.Concurrent;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.Resources.Strategic;

/// <summary>
/// The patch strategies of the built-in kinds, read from the <c>patchStrategy</c> and <c>patchMergeKey</c> tags that
/// <see cref="ProtoSchemaTable"/> carries for every field (the same tags kubectl reads from OpenAPI to build its
/// patches): lists of objects with a merge key merge by it, lists of primitives tagged <c>merge</c> merge as sets,
/// and every other list is atomic. Kinds outside the table still merge their metadata's lists.
/// </summary>
internal static class BuiltinPatchSchemas
{
    private static readonly ConcurrentDictionary<string, PatchSchema> ByMessage = new(StringComparer.Ordinal);

    /// <summary>The schema for a built-in kind; kinds without one still merge their metadata's lists.</summary>
    public static PatchSchema For(string kind) =>
        ProtoSchema.Message(kind) is null ? new PatchSchema(("metadata", PatchField.Of(Of("ObjectMeta", [])))) : Of(kind, []);

    private static PatchSchema Of(string message, HashSet<string> building)
    {
        if (ByMessage.TryGetValue(message, out var known))
        {
            return known;
        }

        if (!building.Add(message) || ProtoSchema.Message(message) is not { } fields)
        {
            // A type that contains itself: below the first level its lists are atomic.
            return PatchSchema.None;
        }

        var entries = new List<(string, PatchField)>();
        Collect(fields.Values, entries, building);
        building.Remove(message);
        return ByMessage.GetOrAdd(message, new PatchSchema([.. entries]));
    }

    private static void Collect(IEnumerable<ProtoField> fields, List<(string, PatchField)> entries, HashSet<string> building)
    {
        foreach (var field in fields)
        {
            var merges = field.PatchStrategy?.Split(',').Contains("merge") == true;
            if (field.Inline)
            {
                Collect(ProtoSchema.Message(field.Message!)!.Values, entries, building);
            }
            else if (field.Type == ProtoType.Message)
            {
                entries.Add((field.Json, new PatchField(Of(field.Message!, building), field.Repeated && merges ? field.MergeKey : null)));
            }
            else if (field.Repeated && merges)
            {
                entries.Add((field.Json, PatchField.Set));
            }
        }
    }
}
