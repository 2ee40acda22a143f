using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Http;

/// <summary>Writes an API object as the response body, as <c>application/json</c>.</summary>
internal static class JsonResponse
{
    public static Task WriteAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), context.RequestAborted).AsTask();
    }
}
