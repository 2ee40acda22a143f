using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Resources.Tables;

namespace K3sLab.K3s.ApiServer.Components;

/// <summary>
/// <c>/api/v1/componentstatuses</c>, as kube-apiserver serves it: get and list only (each request checks the
/// components again; nothing is stored), label and field selectors on a list (<c>metadata.name</c>), kube's
/// table for <c>kubectl get cs</c>, a 404 <c>componentstatus "x" not found</c> for an unknown name, and on every
/// answer the deprecation warning kubectl prints.
/// </summary>
internal static class ComponentStatusEndpoint
{
    public const string Resource = "componentstatuses";

    /// <summary>The <c>Warning</c> header of a deprecated API, as kube-apiserver words it for v1 ComponentStatus.</summary>
    public const string Deprecation = "299 - \"v1 ComponentStatus is deprecated in v1.19+\"";

    public static async Task HandleAsync(HttpContext context, RequestInfo info, ComponentStatuses components, TimeProvider time)
    {
        context.Response.Headers.Append("Warning", Deprecation);
        if (info.Subresource.Length > 0 || info.Verb is not ("get" or "list"))
        {
            throw ApiErrors.MethodNotSupported(string.Empty, info.Subresource.Length > 0 ? $"{Resource}/{info.Subresource}" : Resource, info.Verb);
        }

        var ct = context.RequestAborted;
        var table = TableRequest.From(context.Request.Headers.Accept, context.Request.Query["includeObject"]);
        if (info.Verb == "get")
        {
            var one = await components.CheckAsync(info.Name, ct)
                ?? throw new ApiStatusException(404, "NotFound", $"componentstatus \"{info.Name}\" not found", info.Name, string.Empty, "componentstatus");
            await JsonResponse.WriteAsync(context, 200, table is null ? one : TableConverter.Convert(table, TableColumns.For(Resource), [one], null, time.GetUtcNow()));
            return;
        }

        var labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(context.Request.Query["fieldSelector"], "ComponentStatus");
        var items = (await components.CheckAllAsync(ct)).Where(o => labels.Matches(o) && fields.Matches(o)).ToList();
        await JsonResponse.WriteAsync(context, 200, table is not null
            ? TableConverter.Convert(table, TableColumns.For(Resource), items, new JsonObject(), time.GetUtcNow())
            : new JsonObject
            {
                ["kind"] = "ComponentStatusList",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject(),
                ["items"] = new JsonArray([.. items]),
            });
    }
}
