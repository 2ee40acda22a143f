using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// ControllerRevisions, the template history DaemonSets and StatefulSets keep (upstream's controller history): the
/// <c>controller-revision-hash</c> of a template, the revision object, and the revision numbers already used.
/// </summary>
internal static class Revisions
{
    /// <summary>The pod label naming the revision a pod was made from.</summary>
    public const string HashLabel = "controller-revision-hash";

    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>
    /// A short, label-safe hash of <paramref name="template"/> and the owner's <paramref name="collisionCount"/>
    /// (FNV-1a over the template's JSON, written with the alphabet client-go's SafeEncodeString uses). Deterministic:
    /// the same stored template always gives the same hash.
    /// </summary>
    public static string Hash(JsonNode? template, long collisionCount)
    {
        var text = (template?.ToJsonString() ?? "null") + (collisionCount > 0 ? collisionCount.ToString(CultureInfo.InvariantCulture) : string.Empty);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            encoded.Append(SafeAlphabet[(c - '0') % SafeAlphabet.Length]);
        }

        return encoded.ToString();
    }

    /// <summary>The revision number of a ControllerRevision (0 when absent).</summary>
    public static long Number(JsonObject revision) => revision.Long("revision") ?? 0;

    /// <summary>The ControllerRevisions of <paramref name="revisions"/> controlled by <paramref name="owner"/>, oldest revision first.</summary>
    public static IReadOnlyList<JsonObject> Owned(IEnumerable<JsonObject> revisions, JsonObject owner) =>
        [.. revisions.Where(r => ControllerRef.IsControlledBy(r, ObjectKeys.Uid(owner))).OrderBy(Number).ThenBy(ObjectKeys.Name, StringComparer.Ordinal)];

    /// <summary>
    /// A ControllerRevision for <paramref name="owner"/> named <c>{owner}-{hash}</c>, labelled with the owner's
    /// template labels and the hash, whose data is the patch that restores the template (as upstream stores it).
    /// </summary>
    public static JsonObject New(JsonObject owner, string ownerApiVersion, string ownerKind, JsonObject? template, string hash, long number)
    {
        var labels = template.Obj("metadata").Obj("labels")?.DeepClone() as JsonObject ?? [];
        labels[HashLabel] = hash;
        var patchTemplate = template?.DeepClone() as JsonObject ?? [];
        patchTemplate["$patch"] = "replace";
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ControllerRevision",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{ObjectKeys.Name(owner)}-{hash}",
                ["namespace"] = ObjectKeys.Namespace(owner),
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(ControllerRef.For(owner, ownerApiVersion, ownerKind)),
            },
            ["data"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = patchTemplate } },
            ["revision"] = number,
        };
    }
}
