using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The <c>fieldValidation</c> query parameter of create, update and patch, as kube-apiserver (1.27+) honours it for
/// built-in kinds. Fields the kind does not define are always dropped before the object is stored. With
/// <c>Strict</c> the request fails with 400 and every unknown field named; with <c>Warn</c> (the default) each is
/// reported in a <c>Warning</c> response header, which kubectl prints; with <c>Ignore</c> they go silently. Kinds
/// without a schema here (custom resources) are stored as sent.
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
        var schema = ProtoSchema.Kind(resource.Group, resource.Version, resource.Kind);
        if (schema is null)
        {
            return;
        }

        var unknown = UnknownFields.Prune(obj, schema);
        if (unknown.Count == 0)
        {
            context.Response.Headers.Remove("Warning");
            return;
        }

        if (directive == "Strict")
        {
            throw ApiErrors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
        }

        if (directive == "Warn")
        {
            // Set, not appended: a patch retried after a conflict reports its fields once.
            context.Response.Headers["Warning"] = unknown.Select(u => $"299 - \"unknown field \\\"{u}\\\"\"").ToArray();
        }
    }
}
