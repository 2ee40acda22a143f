using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// What a DELETE's <c>propagationPolicy</c> (or the legacy <c>orphanDependents</c>) does to an object's finalizers, as
/// kube-apiserver's generic registry does before deleting: <c>Orphan</c> adds the <c>orphan</c> finalizer (the garbage
/// collector strips this owner from its dependents, then removes it), <c>Foreground</c> adds
/// <c>foregroundDeletion</c> (the collector deletes the dependents and removes it once those blocking the owner are
/// gone), <c>Background</c> removes both (the object goes now; the collector deletes the dependents after). With no
/// policy the object's own GC finalizers stand. Either finalizer keeps the object, marked with a deletionTimestamp,
/// until the collector is done. Pure.
/// </summary>
internal static class DeletionPropagation
{
    public const string Orphan = "orphan";
    public const string Foreground = "foregroundDeletion";

    /// <summary>The policy a request asks for: <c>?propagationPolicy=</c>, else the DeleteOptions body's policy, else its <c>orphanDependents</c>; null for none.</summary>
    public static string? Requested(string? queryPolicy, string? queryOrphan, JsonObject? options)
    {
        var policy = queryPolicy is { Length: > 0 } ? queryPolicy : options?["propagationPolicy"]?.GetValue<string>();
        var orphan = queryOrphan is { Length: > 0 } q ? bool.TryParse(q, out var o) ? o : throw ApiErrors.BadRequest($"orphanDependents: \"{q}\" is not a boolean")
            : options?["orphanDependents"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : (bool?)null;
        if (policy is not null && orphan is not null)
        {
            throw ApiErrors.BadRequest("DeleteOptions is invalid: propagationPolicy: Invalid value: \"" + policy + "\": orphanDependents and deletionPropagation cannot be both set");
        }

        return policy switch
        {
            null => orphan switch { true => "Orphan", false => "Background", null => null },
            "Orphan" or "Foreground" or "Background" => policy,
            _ => throw ApiErrors.BadRequest($"DeleteOptions is invalid: propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
        };
    }

    /// <summary>The object's finalizers after applying <paramref name="policy"/>, or null when they stay as they are.</summary>
    public static JsonArray? Finalizers(JsonArray? current, string? policy)
    {
        if (policy is null)
        {
            return null;
        }

        var names = current?.Select(f => f?.GetValue<string>() ?? string.Empty).ToList() ?? [];
        var wanted = names.Where(n => n is not (Orphan or Foreground)).ToList();
        if (policy == "Orphan")
        {
            wanted.Add(Orphan);
        }
        else if (policy == "Foreground")
        {
            wanted.Add(Foreground);
        }

        return wanted.SequenceEqual(names, StringComparer.Ordinal) ? null : new JsonArray([.. wanted.Select(n => (JsonNode)JsonValue.Create(n))]);
    }
}
