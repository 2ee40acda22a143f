using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// What kube-apiserver's generic registry does to metadata on create and update: the identity fields the server
/// owns (uid, creationTimestamp, generation, resourceVersion), names from <c>generateName</c>, and the checks that
/// the body's kind, apiVersion and namespace agree with the request. Pure except for the random name suffix and uid.
/// </summary>
internal static class ObjectDefaults
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>Checks the body against the request and returns its metadata object (created if missing).</summary>
    public static JsonObject CheckBody(JsonObject body, string kind, string groupVersion, string ns, bool namespaced)
    {
        if (TypeMetaField(body, "apiVersion") is { } apiVersion && apiVersion != groupVersion)
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({groupVersion})");
        }

        if (TypeMetaField(body, "kind") is { } bodyKind && bodyKind != kind)
        {
            throw ApiErrors.BadRequest($"the kind in the data ({bodyKind}) does not match the expected kind ({kind})");
        }

        body["apiVersion"] = groupVersion;
        body["kind"] = kind;
        if (body["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            body["metadata"] = metadata;
        }

        if (namespaced)
        {
            if (metadata["namespace"]?.GetValue<string>() is { Length: > 0 } bodyNs && bodyNs != ns)
            {
                throw ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            metadata["namespace"] = ns;
        }
        else
        {
            metadata.Remove("namespace");
        }

        return metadata;
    }

    private static string? TypeMetaField(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => throw ApiErrors.BadRequest($"json: cannot unmarshal {other.GetValueKind().ToString().ToLowerInvariant()} into Go struct field TypeMeta.{field} of type string"),
    };

    /// <summary>Five random characters from kube's name generator's alphabet (no vowels, no 0, 1 or 3).</summary>
    public static string NameSuffix() => string.Create(5, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = NameAlphabet[RandomNumberGenerator.GetInt32(NameAlphabet.Length)];
        }
    });

    /// <summary>Sets the fields the server owns on a new object, choosing a name from generateName when needed.</summary>
    public static string PrepareCreate(JsonObject metadata, DateTimeOffset now, bool hasSpec)
    {
        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) && metadata["generateName"]?.GetValue<string>() is { Length: > 0 } generate)
        {
            name = generate + NameSuffix();
            metadata["name"] = name;
        }

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Timestamp(now);
        metadata.Remove("resourceVersion");
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("selfLink");
        if (hasSpec)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        return name ?? string.Empty;
    }

    /// <summary>
    /// Carries the server-owned fields from the stored object into an update, and bumps the generation when the
    /// spec changed. With <paramref name="statusOnly"/> only <c>.status</c> comes from the update (the status
    /// subresource); otherwise <c>.status</c> stays as stored for kinds that have a status subresource.
    /// </summary>
    public static JsonObject PrepareUpdate(JsonObject current, JsonObject updated, bool statusOnly, bool hasStatusSubresource, bool customResource = false)
    {
        if (statusOnly)
        {
            var merged = (JsonObject)current.DeepClone();
            merged["status"] = updated["status"]?.DeepClone();
            return merged;
        }

        var currentMeta = (JsonObject)current["metadata"]!;
        var meta = (JsonObject)updated["metadata"]!;
        foreach (var owned in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            meta[owned] = currentMeta[owned]?.DeepClone();
            if (meta[owned] is null)
            {
                meta.Remove(owned);
            }
        }

        if (hasStatusSubresource)
        {
            updated["status"] = current["status"]?.DeepClone();
            if (updated["status"] is null)
            {
                updated.Remove("status");
            }
        }

        // A custom resource's generation counts every change but metadata (and status, when it is a subresource).
        if (customResource ? !JsonNode.DeepEquals(WithoutMetadata(current, hasStatusSubresource), WithoutMetadata(updated, hasStatusSubresource))
            : current["spec"] is not null && !JsonNode.DeepEquals(current["spec"], updated["spec"]))
        {
            meta["generation"] = (currentMeta["generation"]?.GetValue<long>() ?? 0) + 1;
        }

        return updated;
    }

    private static JsonObject WithoutMetadata(JsonObject obj, bool withoutStatus)
    {
        var rest = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is not ("metadata" or "apiVersion" or "kind") && !(withoutStatus && key == "status"))
            {
                rest[key] = value?.DeepClone();
            }
        }

        return rest;
    }

    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
