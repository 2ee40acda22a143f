using System.Text.Json;

namespace K3sLab.K3s.ApiServer.Http;

/// <summary>
/// Writes a Kubernetes <c>Status</c> (<c>kind: Status, apiVersion: v1</c>) error body, the shape every client decodes
/// failures from: <c>status: Failure</c>, a message for people, a machine <c>reason</c> and the HTTP code.
/// </summary>
internal static class StatusResponse
{
    public static Task WriteAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Status");
            w.WriteString("apiVersion", "v1");
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WriteString("status", "Failure");
            w.WriteString("message", message);
            w.WriteString("reason", reason);
            w.WriteNumber("code", code);
            w.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).AsTask();
    }

    public static Task UnauthorizedAsync(HttpContext context) => WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "Unauthorized");

    public static Task NotFoundAsync(HttpContext context) => WriteAsync(context, StatusCodes.Status404NotFound, "NotFound", "the server could not find the requested resource");
}
