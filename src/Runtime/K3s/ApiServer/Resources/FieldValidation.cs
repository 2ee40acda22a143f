using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// Decoding checks of create, update and patch bodies, as kube-apiserver's decoding into Go types makes them. A
/// value of the wrong JSON type is a 400 in Go's words. Fields the kind does not define are dropped before the
/// object is stored, and the <c>fieldValidation</c> query parameter says what else happens: with <c>Strict</c> the
/// request fails with 400 and every unknown field named; with <c>Warn</c> (the default) each is reported in a
/// <c>Warning</c> response header, which kubectl prints; with <c>Ignore</c> they go silently. A custom resource is
/// pruned by its version's structural schema (and gets the schema's defaults); one without a schema only has its
/// metadata checked.
/// </summary>
internal static class FieldValidation
{
    public static void Check(HttpContext context, ApiResource resource, JsonObject obj)
    {
        var directive = context.Request.Query["fieldValidation"].ToString() switch
        {
            "" or "Warn" => "Warn",
            "Strict" => "Strict",
            "Ignore" => "Ignore",
            var other => throw ApiErrors.BadRequest($"fieldValidation parameter unsupported: \"{other}\"; use Strict, Warn or Ignore"),
        };
        var cannot = $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}";
        IReadOnlyList<string> unknown;
        string? typeError;
        if (ProtoSchema.Kind(resource.Group, resource.Version, resource.Kind) is { } schema)
        {
            unknown = UnknownFields.Prune(obj, schema, resource.Kind, out typeError);
        }
        else
        {
            // A custom resource: only its metadata has a known shape, and unknown fields elsewhere are its own.
            unknown = [];
            typeError = null;
            if (resource.Custom?.Schema is { } structural)
            {
                unknown = [.. StructuralSchema.Prune(obj, structural)];
            }

            if (obj["metadata"] is JsonObject metadata && ProtoSchema.Message("ObjectMeta") is { } meta)
            {
                unknown = [.. UnknownFields.Prune(metadata, meta, resource.Kind + ".metadata", out typeError).Select(u => "metadata." + u), .. unknown];
            }
            else if (obj["metadata"] is { } notObject)
            {
                typeError = $"json: cannot unmarshal {notObject.GetValueKind().ToString().ToLowerInvariant()} into Go struct field {resource.Kind}.metadata of type v1.ObjectMeta";
            }
        }

        if (typeError is not null)
        {
            throw ApiErrors.BadRequest($"{cannot}: {typeError}");
        }

        if (unknown.Count == 0)
        {
            context.Response.Headers.Remove("Warning");
            return;
        }

        if (directive == "Strict")
        {
            throw ApiErrors.BadRequest($"{cannot}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
        }

        if (directive == "Warn")
        {
            // Set, not appended: a patch retried after a conflict reports its fields once.
            context.Response.Headers["Warning"] = unknown.Select(u => $"299 - \"unknown field \\\"{u}\\\"\"").ToArray();
        }
    }
}
