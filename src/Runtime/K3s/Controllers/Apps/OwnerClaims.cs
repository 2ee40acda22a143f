using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// Which objects a controller owns, adopts and releases (upstream's ControllerRefManager): it owns what carries its
/// controller reference and still matches its selector; it adopts orphans (no controller reference) that match, unless
/// it is being deleted; it releases what it controls but no longer matches. Objects of other controllers are never touched.
/// </summary>
internal sealed record OwnerClaims(IReadOnlyList<JsonObject> Owned, IReadOnlyList<JsonObject> Adopt, IReadOnlyList<JsonObject> Release)
{
    /// <summary>Sorts <paramref name="candidates"/> (same namespace as the owner) for the owner with <paramref name="ownerUid"/>.</summary>
    public static OwnerClaims Of(string ownerUid, bool ownerDeleting, Func<JsonObject, bool> selector, IEnumerable<JsonObject> candidates)
    {
        List<JsonObject> owned = [], adopt = [], release = [];
        foreach (var candidate in candidates)
        {
            var reference = ControllerRef.Of(candidate);
            var matches = selector(candidate);
            if (reference is not null)
            {
                if (reference.Uid != ownerUid)
                {
                    continue;
                }

                if (matches)
                {
                    owned.Add(candidate);
                }
                else if (!ObjectKeys.IsDeleting(candidate))
                {
                    release.Add(candidate);
                }
            }
            else if (matches && !ownerDeleting && !ObjectKeys.IsDeleting(candidate))
            {
                adopt.Add(candidate);
            }
        }

        return new OwnerClaims(owned, adopt, release);
    }

    /// <summary>The merge patch that adds the owner's controller reference (the resourceVersion guards against a racing adopter).</summary>
    public static JsonObject AdoptPatch(JsonObject candidate, JsonObject ownerReference)
    {
        var references = new JsonArray();
        foreach (var existing in candidate["metadata"]?["ownerReferences"] as JsonArray ?? [])
        {
            references.Add(existing?.DeepClone());
        }

        references.Add((JsonNode)ownerReference);
        return Patch(candidate, references);
    }

    /// <summary>The merge patch that removes the owner's reference from <paramref name="candidate"/>.</summary>
    public static JsonObject ReleasePatch(JsonObject candidate, string ownerUid)
    {
        var references = new JsonArray();
        foreach (var existing in candidate["metadata"]?["ownerReferences"] as JsonArray ?? [])
        {
            if (existing?["uid"]?.GetValue<string>() != ownerUid)
            {
                references.Add(existing?.DeepClone());
            }
        }

        return Patch(candidate, references);
    }

    private static JsonObject Patch(JsonObject candidate, JsonArray references) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["ownerReferences"] = references,
            ["resourceVersion"] = candidate["metadata"]?["resourceVersion"]?.DeepClone(),
        },
    };
}
