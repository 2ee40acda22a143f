using System.Text.Json;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Http;

/// <summary>
/// Writes a Kubernetes <c>Status</c> (<c>kind: Status, apiVersion: v1</c>) error body, the shape every client decodes
/// failures from: <c>status: Failure</c>, a message for people, a machine <c>reason</c>, <c>details</c> when known, and
/// the HTTP code. A <c>Retry-After</c> header goes with statuses that carry retry advice.
/// </summary>
internal static class StatusResponse
{
    /// <summary>Quotes as <c>\"</c> and non-ASCII kept, as Go's encoder writes a message, rather than <c>\u0022</c>.</summary>
    private static readonly JsonWriterOptions GoLikeEscaping = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, ApiStatusException status)
    {
        await DrainAsync(context);
        context.Response.StatusCode = status.Code;
        context.Response.ContentType = "application/json";
        if (status.RetryAfterSeconds is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await context.Response.Body.WriteAsync(Render(status), context.RequestAborted);
    }

    /// <summary>
    /// Reads what is left of the request body before an error answer, as Go's server does, so a client still
    /// sending a body it was refused for reads the Status instead of a reset connection.
    /// </summary>
    private static async Task DrainAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return;
        }

        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException or InvalidOperationException)
        {
            // Too large, already read, or the client went away: nothing more to drain.
        }
    }

    public static byte[] Render(ApiStatusException status)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, GoLikeEscaping))
        {
            w.WriteStartObject();
            w.WriteString("kind", "Status");
            w.WriteString("apiVersion", "v1");
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WriteString("status", "Failure");
            w.WriteString("message", status.Message);
            if (status.Reason.Length > 0)
            {
                // kube-apiserver leaves the reason out of errors it passes through from etcd.
                w.WriteString("reason", status.Reason);
            }

            if (status.HasDetails)
            {
                WriteDetails(w, status);
            }

            w.WriteNumber("code", status.Code);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static Task UnauthorizedAsync(HttpContext context) => WriteAsync(context, new ApiStatusException(401, "Unauthorized", "Unauthorized"));

    public static Task NotFoundAsync(HttpContext context) => WriteAsync(context, new ApiStatusException(404, "NotFound", "the server could not find the requested resource"));

    private static void WriteDetails(Utf8JsonWriter w, ApiStatusException status)
    {
        w.WriteStartObject("details");
        if (status.Name is not null)
        {
            w.WriteString("name", status.Name);
        }

        if (status.Group is { Length: > 0 })
        {
            w.WriteString("group", status.Group);
        }

        if (status.Kind is not null)
        {
            w.WriteString("kind", status.Kind);
        }

        if (status.Causes.Count > 0)
        {
            w.WriteStartArray("causes");
            foreach (var cause in status.Causes)
            {
                w.WriteStartObject();
                w.WriteString("reason", cause.Reason);
                w.WriteString("message", cause.Message);
                if (cause.Field.Length > 0)
                {
                    // Go's StatusCause.Field is omitempty.
                    w.WriteString("field", cause.Field);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (status.RetryAfterSeconds is { } retry)
        {
            w.WriteNumber("retryAfterSeconds", retry);
        }

        w.WriteEndObject();
    }
}
